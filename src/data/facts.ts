// The facts policies decide a write with, by name: what a module lists in `facts` is loaded here,
// on the write's own transaction after its locks, so a decision sees what the write will act on.
// They are system reads (src/data/system.ts): the caller's permit decides the write itself.
// Each provider sends its statement at once, so a write can pipeline them with its locks.

import { businessDate, businessDay, isoWeekday, localMidnight } from '../clock.ts';
import type { Sql } from '../db/database.ts';
import { toGlobalId } from '../ids.ts';
import type { FactSubject } from '../policy/permit.ts';
import type { FactProvider } from '../policy/request-policy.ts';
import { AML_WINDOWS_MINUTES } from '../policy/vocabulary.ts';
import { permitted } from './query.ts';
import { systemPermit } from './system.ts';

/**
 * The customer a write acts for (`keys.customer`, or the owner of `keys.account`, or the customer
 * `keys.transaction` is booked to), with their latest risk profile and their current
 * qualified-investor confirmation (the one lasting longest, if any has not expired). `age` is in
 * whole years on the business day: facts are recorded for replay, so the birth date itself never
 * goes in.
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
  /** `PUBLIC` or `PRIVATE` (private funds and WMP: qualified investors only, with a cooling-off period). */
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
const accounts = systemPermit('Account', 'policy-facts');
const transactions = systemPermit('Transaction', 'policy-facts');
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
  if (!keys.customer && !keys.account && !keys.transaction) return null;
  const id = keys.customer ?? (keys.account ? tx`(select customer_id from accounts where id = ${keys.account})` : tx`(select customer_id from transactions where id = ${keys.transaction!})`);
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
     where c.id = ${id} and ${permitted(tx, customers)}`.execute();
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

/**
 * The business day and the days after it, each as the instant it begins in FINGATE_TIME_ZONE,
 * written as local midnight with the zone's offset then ("2026-11-30T00:00:00+08:00": its first ten
 * characters are its date; the next day's is when it ends), and today's ISO weekday (1 Monday … 7
 * Sunday; day i's is today's + i). What a policy needs to put a deadline "n working days after" a
 * day, while which days are working days stays its own data. Kept small: every Rego module's input
 * carries every fact.
 */
export interface BusinessCalendarFact {
  weekday: number;
  days: string[];
}

/** How far ahead the calendar reaches: 7 working days and the longest run of public holidays. */
export const CALENDAR_DAYS = 22;
const calendars = new Map<string, BusinessCalendarFact>();

async function businessCalendar(_tx: Sql, { now, timeZone }: FactSubject): Promise<BusinessCalendarFact> {
  const today = businessDate(now, timeZone);
  // it changes once a day; every movement asks
  const key = `${timeZone} ${today}`;
  let calendar = calendars.get(key);
  if (!calendar) {
    const days: string[] = [];
    for (let instant = now; days.length < CALENDAR_DAYS; ) {
      const { start, end } = businessDay(instant, timeZone);
      const date = businessDate(instant, timeZone);
      days.push(localMidnight(date, start.getTime()));
      instant = end;
    }
    calendars.clear();
    calendar = { weekday: isoWeekday(today), days };
    calendars.set(key, calendar);
  }
  return calendar;
}

/** A side of a customer's money: what comes into their accounts, or goes out of them. */
export type Side = 'INCOMING' | 'OUTGOING';

/** One side's transactions of the business day, by transaction type: their sum (a decimal string) and number. */
export type SideTotals = Partial<Record<Side, Record<string, { total: string; count: number }>>>;

/**
 * What AML rules decide a movement with, in the acting account's currency (`keys.account`, and
 * `keys.toAccount` for a transfer's receiver):
 * - `today`, for the acting customer and the receiving customer: the business day's transactions
 *   per side and type (a transfer is outgoing for its sender and incoming for its receiver;
 *   deposits and redemptions are incoming, purchases outgoing; reversals are corrections and not
 *   listed);
 * - `own`, for the acting customer: their own movements (the purchases, redemptions and transfers
 *   they made, in any currency) counted over the last AML_WINDOWS_MINUTES, and the amounts of
 *   today's in this currency per side, newest first, at most OWN_AMOUNTS.
 * Read under the movement's locks on both customers, so no concurrent movement of either is
 * missing. Kept small: every Rego module's input carries every fact.
 */
export interface AmlActivityFact {
  currency: string;
  customer: { id: string; today: SideTotals; own: OwnMovements };
  /** The customer whose account a transfer credits; null for other movements or an account that cannot receive it. */
  receiver: { id: string; today: SideTotals } | null;
}

/** The acting customer's own movements: how many within each window, and today's amounts per side. */
export interface OwnMovements {
  /** Minutes (as a string key, e.g. "60") → how many of their movements are younger. */
  within: Record<string, number>;
  todayAmounts: Partial<Record<Side, string[]>>;
}

/** The most of today's own amounts listed per side (plugins/aml.ts lets no rule count more). */
export const OWN_AMOUNTS = 20;

async function amlActivity(tx: Sql, { keys, now, timeZone }: FactSubject): Promise<AmlActivityFact | null> {
  if (!keys.account) return null;
  const { start, end } = businessDay(now, timeZone);
  const since = new Date(now.getTime() - Math.max(...AML_WINDOWS_MINUTES) * 60_000);
  const sideOfOwn = tx.unsafe(SIDE_OF_OWN);
  const within = tx.unsafe(AML_WINDOWS_MINUTES.map((m) => `'${m}', count(*) filter (where age < ${m * 60})`).join(', '));
  const [row] = await tx<{ customerId: string; currency: string; receiverId: string | null; totals: TotalRow[]; own: OwnMovements }[]>`
    with acting as (
      select a.customer_id, a.currency from accounts a where a.id = ${keys.account} and a.kind = 'CUSTOMER' and ${permitted(tx, accounts)}
    ), receiving as (
      select a.customer_id from accounts a, acting
       where a.id = ${keys.toAccount ?? null} and a.kind = 'CUSTOMER' and a.currency = acting.currency and ${permitted(tx, accounts)}
    ), today as (
      -- the parties as an array parameter, so each read is a range of the (customer, created_at) indexes
      select t.customer_id as party, ${sideOfOwn} as side, t.type, t.amount
        from transactions t
       where t.customer_id = any(array(select customer_id from acting union select customer_id from receiving))
         and t.created_at >= ${start} and t.created_at < ${end}
         and t.currency = (select currency from acting) and t.type <> 'REVERSAL' and t.status <> 'REJECTED'
      union all
      select t.receiving_customer_id, 'INCOMING', t.type, t.amount
        from transactions t
       where t.receiving_customer_id = any(array(select customer_id from acting union select customer_id from receiving))
         and t.created_at >= ${start} and t.created_at < ${end}
         and t.currency = (select currency from acting) and t.status <> 'REJECTED'
    ), own as (
      select ${sideOfOwn} as side, t.amount, t.currency, t.created_at, extract(epoch from (${now}::timestamptz - t.created_at)) as age
        from transactions t
       where t.customer_id = (select customer_id from acting) and t.created_at > ${since}
         and t.type in ('PURCHASE', 'REDEMPTION', 'TRANSFER') and t.status <> 'REJECTED'
    )
    select acting.customer_id::text as customer_id, acting.currency, (select customer_id::text from receiving) as receiver_id,
           (select coalesce(json_agg(json_build_object('party', party::text, 'side', side, 'type', type, 'total', total::text, 'count', n)), '[]')
              from (select party, side, type, sum(amount) as total, count(*)::int as n from today group by party, side, type) g) as totals,
           json_build_object(
             'within', (select json_build_object(${within}) from own),
             'todayAmounts', (select coalesce(json_object_agg(side, amounts), '{}')
                                from (select side, (array_agg(amount::text order by created_at desc))[1:${OWN_AMOUNTS}] as amounts
                                        from own where created_at >= ${start} and currency = acting.currency group by side) s)
           ) as own
      from acting`.execute();
  if (!row) return null;
  const totalsOf = (party: string): SideTotals => {
    const totals: SideTotals = {};
    for (const t of row.totals) if (t.party === party) (totals[t.side] ??= {})[t.type] = { total: t.total, count: t.count };
    return totals;
  };
  return {
    currency: row.currency,
    customer: { id: row.customerId, today: totalsOf(row.customerId), own: row.own },
    receiver: row.receiverId === null ? null : { id: row.receiverId, today: totalsOf(row.receiverId) },
  };
}

/** The side of the customer's day a movement booked to them (`t`) is on: what they send or buy goes out. */
const SIDE_OF_OWN = `case when t.type in ('PURCHASE', 'TRANSFER') then 'OUTGOING' else 'INCOMING' end`;

/**
 * The cooling-off period of the purchase `keys.transaction` (null: no such transaction, or one
 * without a period): what a cancellation or a return call is decided on.
 */
export interface CoolingOffFact {
  transaction: string;
  type: string;
  status: string;
  /** e.g. PRIVATE_FUND: the class whose terms it runs under. */
  productClass: string;
  startsAt: string;
  endsAt: string;
  returnCallRequired: boolean;
  returnCallAt: string | null;
}

async function coolingOff(tx: Sql, { keys }: FactSubject): Promise<CoolingOffFact | null> {
  if (!keys.transaction) return null;
  const [row] = await tx<(Omit<CoolingOffFact, 'startsAt' | 'endsAt' | 'returnCallAt'> & { startsAt: Date; endsAt: Date; returnCallAt: Date | null })[]>`
    select t.id::text as transaction, t.type, t.status, c.product_class, c.starts_at, c.ends_at, c.return_call_required, c.return_call_at
      from transactions t join cooling_off_periods c on c.transaction_id = t.id
     where t.id = ${keys.transaction} and ${permitted(tx, transactions)}`.execute();
  if (!row) return null;
  return { ...row, startsAt: row.startsAt.toISOString(), endsAt: row.endsAt.toISOString(), returnCallAt: row.returnCallAt?.toISOString() ?? null };
}

interface TotalRow {
  party: string;
  side: Side;
  type: string;
  total: string;
  count: number;
}

/** Every fact a policy module may name. */
export const factProviders: Readonly<Record<string, FactProvider>> = {
  customer: { load: customer },
  product: { load: product },
  businessDay: { load: businessDayOf },
  distributorLicences: { load: licencesOf('distributor') },
  issuerLicences: { load: licencesOf('issuer') },
  currentDisclosures: { load: currentDisclosures },
  businessCalendar: { load: businessCalendar },
  amlActivity: { load: amlActivity },
  coolingOff: { load: coolingOff },
};
