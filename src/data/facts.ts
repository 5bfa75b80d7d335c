// The facts policies decide a write with, by name: what a module lists in `facts` is loaded here,
// on the write's own transaction after its locks, so a decision sees what the write will act on.
// They are system reads (src/data/system.ts): the caller's permit decides the write itself.
// Each provider sends its statement at once, so a write can pipeline them with its locks.

import { businessDate, businessDay } from '../clock.ts';
import type { Sql } from '../db/database.ts';
import { toGlobalId } from '../ids.ts';
import type { FactSubject } from '../policy/permit.ts';
import type { FactProvider } from '../policy/request-policy.ts';
import { permitted } from './query.ts';
import { systemPermit } from './system.ts';

/**
 * The customer a write acts for (`keys.customer`, or the owner of `keys.account`), with their latest
 * risk profile and their current qualified-investor confirmation (the one lasting longest, if any
 * has not expired). `age` is in whole years on the business day: facts are recorded for replay,
 * so the birth date itself never goes in.
 */
export interface CustomerFact {
  id: string;
  institutionId: string;
  investorType: string;
  region: string;
  age: number;
  riskProfile: { tolerance: string; lowestCategory: boolean; assessedAt: string; expiresAt: string } | null;
  qualifiedInvestor: { basis: string; confirmedAt: string; expiresAt: string } | null;
}

/** The product a write deals in (`keys.product`). */
export interface ProductFact {
  id: string;
  category: string;
  riskLevel: string;
  status: string;
  /** `PUBLIC` or `PRIVATE` (private funds and WMP: qualified investors only). */
  offering: string;
  /** Investment-type insurance (投连险, 万能险): under suitability like a fund. */
  investmentLinked: boolean;
  currency: string;
  minAmount: string;
  issuerId: string;
  distributorId: string;
}

const customers = systemPermit('Customer', 'policy-facts');
const products = systemPermit('Product', 'policy-facts');
const institutions = systemPermit('Institution', 'policy-facts');
const licences = systemPermit('Licence', 'policy-facts');
const disclosures = systemPermit('Disclosure', 'policy-facts');
const acknowledgements = systemPermit('Acknowledgement', 'policy-facts');

type CustomerFactRow = Omit<CustomerFact, 'riskProfile' | 'qualifiedInvestor'> & {
  tolerance: string | null;
  lowestCategory: boolean;
  assessedAt: Date;
  expiresAt: Date;
  qualifiedBasis: string | null;
  qualifiedAt: Date;
  qualifiedUntil: Date;
};

async function customer(tx: Sql, { keys, now, timeZone }: FactSubject): Promise<CustomerFact | null> {
  if (!keys.customer && !keys.account) return null;
  const [row] = await tx<CustomerFactRow[]>`
    select c.id, c.institution_id, c.investor_type, c.region,
           extract(year from age(${businessDate(now, timeZone)}::date, c.birth_date))::int as age,
           r.tolerance, r.lowest_category, r.assessed_at, r.expires_at,
           q.basis as qualified_basis, q.confirmed_at as qualified_at, q.expires_at as qualified_until
      from customers c
      left join lateral (
        select tolerance, lowest_category, assessed_at, expires_at from risk_assessments
         where customer_id = c.id order by assessed_at desc, id desc limit 1
      ) r on true
      left join lateral (
        select basis, confirmed_at, expires_at from qualified_investor_confirmations
         where customer_id = c.id and expires_at > ${now} order by expires_at desc, id desc limit 1
      ) q on true
     where c.id = ${keys.customer ?? tx`(select customer_id from accounts where id = ${keys.account!})`} and ${permitted(tx, customers)}`.execute();
  if (!row) return null;
  const { tolerance, lowestCategory, assessedAt, expiresAt, qualifiedBasis, qualifiedAt, qualifiedUntil, ...rest } = row;
  return {
    ...rest,
    riskProfile: tolerance ? { tolerance, lowestCategory, assessedAt: assessedAt.toISOString(), expiresAt: expiresAt.toISOString() } : null,
    qualifiedInvestor: qualifiedBasis ? { basis: qualifiedBasis, confirmedAt: qualifiedAt.toISOString(), expiresAt: qualifiedUntil.toISOString() } : null,
  };
}

async function product(tx: Sql, { keys }: FactSubject): Promise<ProductFact | null> {
  if (!keys.product) return null;
  // shared: a write dealing in the product holds its status until it commits (a suspension waits)
  const [row] = await tx<ProductFact[]>`
    select p.id, p.category, p.risk_level, p.status, p.offering, p.investment_linked, p.currency, p.min_amount, p.issuer_id, p.distributor_id
      from products p where p.id = ${keys.product} and ${permitted(tx, products)}
       for share`.execute();
  return row ?? null;
}

/** An institution on one side of a product (`keys.product`) and every licence it holds, revoked and lapsed ones too. */
export interface LicencesFact {
  institution: { id: string; name: string; kind: string };
  licences: {
    id: string;
    type: string;
    number: string;
    /** Calendar dates (`YYYY-MM-DD`); `validTo` null: open-ended. */
    validFrom: string;
    validTo: string | null;
    /** GB/T 2260 codes; "000000" is nationwide. */
    regions: string[];
    revoked: boolean;
  }[];
}

function licencesOf(side: 'distributor' | 'issuer') {
  const column = side === 'distributor' ? 'distributor_id' : 'issuer_id';
  return async (tx: Sql, { keys }: FactSubject): Promise<LicencesFact | null> => {
    if (!keys.product) return null;
    const [row] = await tx<{ id: string; name: string; kind: string; licences: LicencesFact['licences'] }[]>`
      select i.id, i.name, i.kind, coalesce((
               select json_agg(json_build_object('id', l.id::text, 'type', l.type, 'number', l.number, 'validFrom', l.valid_from,
                                                 'validTo', l.valid_to, 'regions', l.regions, 'revoked', l.revoked) order by l.id)
                 from licences l where l.institution_id = i.id and ${permitted(tx, licences)}), '[]') as licences
        from institutions i
       where i.id = (select ${tx(column)} from products where id = ${keys.product}) and ${permitted(tx, institutions)}`.execute();
    if (!row) return null;
    const { licences: held, ...institution } = row;
    return { institution, licences: held };
  };
}

/**
 * The current version of each kind of the product's disclosures (`keys.product`): the newest
 * published by now. Each carries the sha256 of its content and the acting customer's
 * acknowledgement of that version (`keys.customer`, or the owner of `keys.account`), if any, with
 * the sha256 of the content it acknowledged.
 */
export interface DisclosureFact {
  id: string;
  /** Its id as the API writes it, so a denial can name what to acknowledge. */
  globalId: string;
  kind: string;
  version: number;
  title: string;
  sha256: string;
  publishedAt: string;
  acknowledgement: { at: string; sha256: string | null } | null;
}

async function currentDisclosures(tx: Sql, { keys, now }: FactSubject): Promise<DisclosureFact[] | null> {
  if (!keys.product) return null;
  const customer = keys.customer
    ? tx`${keys.customer}::bigint`
    : keys.account
      ? tx`(select customer_id from accounts where id = ${keys.account})`
      : tx`null::bigint`;
  const rows = await tx<(Omit<DisclosureFact, 'globalId' | 'acknowledgement' | 'publishedAt'> & { publishedAt: Date; acknowledgedAt: Date | null; acknowledgedSha256: string | null })[]>`
    select distinct on (d.kind) d.id, d.kind, d.version, d.title, d.content_sha256 as sha256, d.published_at,
           k.acknowledged_at, k.content_sha256 as acknowledged_sha256
      from disclosures d
      left join disclosure_acknowledgements k
        on k.disclosure_id = d.id and k.customer_id = ${customer} and k.content_sha256 is not null and ${permitted(tx, acknowledgements)}
     where d.product_id = ${keys.product} and d.published_at <= ${now} and ${permitted(tx, disclosures)}
     order by d.kind, d.version desc`.execute();
  return rows.map(({ acknowledgedAt, acknowledgedSha256, publishedAt, ...d }) => ({
    ...d,
    globalId: toGlobalId('Disclosure', d.id),
    publishedAt: publishedAt.toISOString(),
    acknowledgement: acknowledgedAt ? { at: acknowledgedAt.toISOString(), sha256: acknowledgedSha256 } : null,
  }));
}

/** The business day of the request (FINGATE_TIME_ZONE): its date and the instants it spans. */
export interface BusinessDayFact {
  date: string;
  start: string;
  end: string;
}

async function businessDayOf(_tx: Sql, { now, timeZone }: FactSubject): Promise<BusinessDayFact> {
  const { start, end } = businessDay(now, timeZone);
  return { date: businessDate(now, timeZone), start: start.toISOString(), end: end.toISOString() };
}

/** Every fact a policy module may name. */
export const factProviders: Readonly<Record<string, FactProvider>> = {
  customer: { load: customer },
  product: { load: product },
  businessDay: { load: businessDayOf },
  distributorLicences: { load: licencesOf('distributor') },
  issuerLicences: { load: licencesOf('issuer') },
  currentDisclosures: { load: currentDisclosures },
};
