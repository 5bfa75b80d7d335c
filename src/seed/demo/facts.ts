// The facts a demo movement is decided with, built from the demo's own rows in exactly the shapes
// src/data/facts.ts loads them from the database for the gateway: ids as text, dates as
// 'YYYY-MM-DD', instants as ISO strings, a disclosure's content as the sha256 of its body (what the
// database computes, migration 0007). The `amlActivity` fact is activity.ts's.

import { createHash } from 'node:crypto';
import { isoWeekday, localMidnight } from '../../clock.ts';
import {
  CALENDAR_DAYS,
  type BusinessCalendarFact,
  type BusinessDayFact,
  type CustomerFact,
  type DisclosureFact,
  type LicencesFact,
  type ProductFact,
} from '../../data/facts.ts';
import { toGlobalId } from '../../ids.ts';
import type { RiskProfile } from './risk-profiles.ts';
import type { DisclosureKind, DisclosureRow, InstitutionRow, LicenceRow, ProductRow } from './rows.ts';
import { iso, type BusinessDay } from './time.ts';

/**
 * The facts the seed supplies, by the names src/data/facts.ts gives them. `coolingOff` is about a
 * transaction already booked (a cancellation, a return call), which no demo movement is: it is
 * null for them, as the gateway loads it.
 */
export const SUPPLIED_FACTS: ReadonlySet<string> = new Set([
  'customer',
  'product',
  'businessDay',
  'distributorLicences',
  'issuerLicences',
  'currentDisclosures',
  'businessCalendar',
  'amlActivity',
  'coolingOff',
]);

/** A customer as the facts see them. */
export interface Customer {
  id: number;
  institutionId: number;
  professional: boolean;
  region: string;
  /** 'YYYY-MM-DD'. */
  birthDate: string;
  /** Their risk assessment, if they ever took one (it counts from `assessedAt`). */
  assessment: RiskProfile | null;
}

/**
 * The customer at `at` (on business day `day`): their age in whole years that day, the latest
 * assessment taken by then, and no qualified-investor confirmation (the demo records none).
 */
export function customerFact(customer: Customer, at: number, day: BusinessDay): CustomerFact {
  const a = customer.assessment;
  return {
    id: String(customer.id),
    institutionId: String(customer.institutionId),
    investorType: customer.professional ? 'PROFESSIONAL' : 'ORDINARY',
    region: customer.region,
    age: yearsBetween(customer.birthDate, day.date),
    riskProfile:
      a && a.assessedAt <= at
        ? { tolerance: a.tolerance, lowestCategory: a.lowestCategory, assessedAt: iso(a.assessedAt), expiresAt: iso(a.expiresAt) }
        : null,
    qualifiedInvestor: null,
  };
}

/** Whole years from one 'YYYY-MM-DD' date to another, as PostgreSQL's age() counts them. */
function yearsBetween(from: string, to: string): number {
  const years = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  return to.slice(5) < from.slice(5) ? years - 1 : years;
}

/** The product as the fact carries it. */
export function productFact(product: ProductRow): ProductFact {
  return {
    id: String(product.id),
    category: product.category,
    riskLevel: product.risk_level,
    status: product.status,
    offering: product.offering,
    investmentLinked: product.investment_linked,
    currency: product.currency,
    minAmount: product.min_amount,
    issuerId: String(product.issuer_id),
    distributorId: String(product.distributor_id),
  };
}

/** An institution and every licence it holds, revoked and lapsed ones too, in id order. */
export function licencesFact(institution: InstitutionRow, licences: readonly LicenceRow[]): LicencesFact {
  return {
    institution: { id: String(institution.id), name: institution.name, kind: institution.kind },
    licences: licences
      .filter((l) => l.institution_id === institution.id)
      .sort((a, b) => a.id - b.id)
      .map((l) => ({ id: String(l.id), type: l.type, number: l.number, validFrom: l.valid_from, validTo: l.valid_to, regions: l.regions, revoked: l.revoked })),
  };
}

/** The business day as the fact carries it. */
export function businessDayFact(day: BusinessDay): BusinessDayFact {
  return { date: day.date, start: iso(day.start), end: iso(day.end) };
}

/**
 * The business calendar from a business day on (src/data/facts.ts): its ISO weekday and
 * CALENDAR_DAYS days, each the instant it begins written as local midnight with the zone's offset
 * then. Remembered per day: a demo asks about a few hundred.
 */
export function businessCalendars(businessDay: (at: number) => BusinessDay): (today: BusinessDay) => BusinessCalendarFact {
  const known = new Map<string, BusinessCalendarFact>();
  return (today) => {
    let calendar = known.get(today.date);
    if (!calendar) {
      const days: string[] = [];
      for (let day = today; days.length < CALENDAR_DAYS; day = businessDay(day.end)) {
        days.push(localMidnight(day.date, day.start));
      }
      calendar = { weekday: isoWeekday(today.date), days };
      known.set(today.date, calendar);
    }
    return calendar;
  };
}

/** A disclosure as the facts need it: its content hash computed once. */
export interface PublishedDisclosure {
  id: number;
  kind: DisclosureKind;
  version: number;
  title: string;
  sha256: string;
  publishedAt: number;
}

/** A disclosure row as the facts need it. */
export function publishedDisclosure(row: DisclosureRow): PublishedDisclosure {
  return {
    id: row.id,
    kind: row.kind,
    version: row.version,
    title: row.title,
    sha256: createHash('sha256').update(row.body, 'utf8').digest('hex'),
    publishedAt: Date.parse(row.published_at),
  };
}

/** The newest version of each kind of a product's disclosures published by `at`, in kind order. */
export function currentDisclosures(disclosures: readonly PublishedDisclosure[], at: number): PublishedDisclosure[] {
  const current = new Map<DisclosureKind, PublishedDisclosure>();
  for (const d of disclosures) {
    const known = current.get(d.kind);
    if (d.publishedAt <= at && (!known || known.version < d.version)) current.set(d.kind, d);
  }
  return [...current.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

/** The current disclosures as the fact carries them, each with the customer's acknowledgement of it (when, in ms), if any. */
export function disclosuresFact(current: readonly PublishedDisclosure[], acknowledgedAt: (disclosure: PublishedDisclosure) => number | null): DisclosureFact[] {
  return current.map((d) => {
    const at = acknowledgedAt(d);
    return {
      id: String(d.id),
      globalId: toGlobalId('Disclosure', String(d.id)),
      kind: d.kind,
      version: d.version,
      title: d.title,
      sha256: d.sha256,
      publishedAt: iso(d.publishedAt),
      // the database records the content of the very version acknowledged
      acknowledgement: at === null ? null : { at: iso(at), sha256: d.sha256 },
    };
  });
}
