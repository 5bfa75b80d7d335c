// Qualified investors (合格投资者): private funds and private wealth-management products are sold
// only to them. The seller's staff confirm a customer from the evidence they have seen (asset
// certificates, tax records): the suitability policy judges the evidence against its thresholds, and
// the confirmation is recorded with who made it, when, until when it holds and under which policy
// version. It is a staff act, not the customer's own declaration, because the seller must verify
// the evidence (S10(1): no sale to investors who fail entry requirements) and a self-declared figure
// would unlock private products by typing a number.

import { businessDate } from '../clock.ts';
import type { Sql } from '../db/database.ts';
import { badInput } from '../errors.ts';
import { lockCustomer } from '../money/customers.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import { byKeys, permitted } from './query.ts';

export interface QualifiedInvestorRow {
  id: string;
  customerId: string;
  /** The test the evidence met: `FINANCIAL_ASSETS` or `AVERAGE_INCOME`. */
  basis: string;
  /** The token subject of the staff member who confirmed it. */
  confirmedBy: string;
  confirmedAt: Date;
  expiresAt: Date;
  /** The suitability version that judged the evidence (`module@version`). */
  policy: string;
}

// the evidenced amount and the document references stay in the database: personal financial
// information that no reader of the API needs
const columns = (sql: Sql) => sql`qc.id, qc.customer_id, qc.basis, qc.confirmed_by, qc.confirmed_at, qc.expires_at, qc.policy`;

/** Each customer's current confirmation (the one lasting longest, if any has not expired at `now`), under the permit. */
export function loadQualifiedInvestor(sql: Sql, loaders: Loaders, permit: Permit, customerId: string, now: Date): Promise<QualifiedInvestorRow | null> {
  return loaders
    .get(permit, 'qualifiedInvestor', async (keys: readonly string[]) => {
      const rows = await sql<QualifiedInvestorRow[]>`
        select distinct on (qc.customer_id) ${columns(sql)}
          from qualified_investor_confirmations qc
         where qc.customer_id = any(${keys as string[]}::bigint[]) and qc.expires_at > ${now} and ${permitted(sql, permit, 'QualifiedInvestor')}
         order by qc.customer_id, qc.expires_at desc, qc.id desc`;
      const found = new Map(rows.map((row) => [row.customerId, row]));
      return keys.map((key) => found.get(key) ?? null);
    })
    .load(customerId);
}

/** Confirmations by key, under the permit (a write's payload, read again). */
export function qualifiedInvestorsByKey(sql: Sql, permit: Permit, keys: readonly string[]): Promise<(QualifiedInvestorRow | null)[]> {
  return byKeys<QualifiedInvestorRow>(sql, permit, keys);
}

/** What `confirmQualifiedInvestor` records. */
export interface QualificationInput {
  customerKey: string;
  basis: string;
  /** CNY, a canonical two-place decimal string. */
  amount: string;
  /** References to the documents seen. */
  evidence: string;
  /** The last business day (`YYYY-MM-DD`) the confirmation holds. */
  validUntil: string;
  /** The token subject of the staff member confirming. */
  confirmedBy: string;
  /** The suitability version in force, which judges the evidence; recorded with it. */
  policy: { id: string; sha256: string };
  now: Date;
  timeZone: string;
}

/**
 * Records a qualified-investor confirmation, in one database transaction: the customer (one the
 * permit covers) is locked, the gate decides with the facts read under that lock and the evidence
 * (`args.input`: basis, amount, and `validDays`, the business days from today to `validUntil`),
 * the confirmation is written — holding until the end of `validUntil` in the business time zone —
 * and the decision stream's observers add their rows before it commits.
 * Errors: BAD_USER_INPUT (input.evidence), NOT_FOUND (a customer the permit does not cover),
 * POLICY_DENIED (the evidence does not qualify under the policy).
 */
export async function confirmQualifiedInvestor(sql: Sql, permit: Permit, input: QualificationInput): Promise<QualifiedInvestorRow> {
  const evidence = input.evidence.trim();
  if (evidence.length === 0 || evidence.length > 500) throw badInput('input.evidence', 'must name the documents seen, in 1 to 500 characters');
  const validDays = daysBetween(businessDate(input.now, input.timeZone), input.validUntil);
  return sql.begin(async (tx) => {
    const customer = await lockCustomer(tx as unknown as Sql, permit, input.customerKey);
    const facts = await permit.records!.facts(tx as unknown as Sql, { customer: input.customerKey });
    permit.records!.decide({
      type: 'Customer',
      id: customer.id,
      attributes: { ...customer },
      facts,
      args: { input: { customerId: input.customerKey, basis: input.basis, amount: input.amount, validDays } },
    });
    const [row] = await tx<QualifiedInvestorRow[]>`
      insert into qualified_investor_confirmations as qc
             (customer_id, basis, amount, evidence, confirmed_by, confirmed_at, expires_at, policy, policy_sha256)
      values (${input.customerKey}, ${input.basis}, ${input.amount}, ${evidence}, ${input.confirmedBy}, ${input.now},
              (${input.validUntil}::date + 1)::timestamp at time zone ${input.timeZone}, ${input.policy.id}, ${input.policy.sha256})
      returning ${columns(tx as unknown as Sql)}`;
    await permit.records!.observe(tx as unknown as Sql);
    return row!;
  });
}

/** Calendar days from one `YYYY-MM-DD` date to another (negative when `to` is earlier). */
function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
}
