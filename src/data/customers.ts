import type { Fragment } from 'postgres';
import { businessDate } from '../clock.ts';
import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import type { Page, PageArgs } from './page.ts';
import { byKeys, list, permitted } from './query.ts';

export interface CustomerRow {
  id: string;
  institutionId: string;
  name: string;
  idNumber: string;
  phone: string;
  email: string | null;
  birthDate: string;
  investorType: 'ORDINARY' | 'PROFESSIONAL';
  region: string;
}

export interface RiskAssessmentRow {
  id: string;
  customerId: string;
  tolerance: 'C1' | 'C2' | 'C3' | 'C4' | 'C5';
  lowestCategory: boolean;
  score: number;
  assessedAt: Date;
  expiresAt: Date;
}

/** The age bands `ageBand` answers with; the last is open-ended. */
const AGE_BANDS = [0, 18, 30, 40, 50, 60, 70] as const;

/** A customer's age on the business day of `now`, as a band such as "30-39" (or "70+"). */
export function ageBand(birthDate: string, now: Date, timeZone: string): string {
  const today = businessDate(now, timeZone);
  const age = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4)) - (today.slice(5) < birthDate.slice(5) ? 1 : 0);
  const i = AGE_BANDS.findLastIndex((lower) => age >= lower);
  const next = AGE_BANDS[i + 1];
  return next === undefined ? `${AGE_BANDS[i]}+` : `${AGE_BANDS[i]}-${next - 1}`;
}

export interface CustomerFilter {
  riskTolerance?: string | null | undefined;
  investorType?: string | null | undefined;
}

export function loadCustomer(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<CustomerRow | null> {
  return loaders.get(permit, 'customer', (keys: readonly string[]) => byKeys<CustomerRow>(sql, permit, keys)).load(key);
}

export function listCustomers(sql: Sql, permit: Permit, args: PageArgs & { filter?: CustomerFilter | null }): Promise<Page<CustomerRow>> {
  const where: Fragment[] = [];
  const filter = args.filter ?? {};
  if (filter.investorType) where.push(sql`c.investor_type = ${filter.investorType}`);
  if (filter.riskTolerance) {
    where.push(sql`(select tolerance from risk_assessments r where r.customer_id = c.id
                     order by r.assessed_at desc, r.id desc limit 1) = ${filter.riskTolerance}`);
  }
  return list<CustomerRow>(sql, permit, args, { where });
}

/** The latest risk assessment of each customer the permit covers (expired ones included: `expired` says so). */
export function loadRiskProfile(sql: Sql, loaders: Loaders, permit: Permit, customerId: string): Promise<RiskAssessmentRow | null> {
  return loaders
    .get(permit, 'riskProfile', async (keys: readonly string[]) => {
      const rows = await sql<RiskAssessmentRow[]>`
        select distinct on (ra.customer_id) ${assessmentColumns(sql)}
          from risk_assessments ra
         where ra.customer_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'RiskProfile')}
         order by ra.customer_id, ra.assessed_at desc, ra.id desc`;
      const found = new Map(rows.map((row) => [row.customerId, row]));
      return keys.map((key) => found.get(key) ?? null);
    })
    .load(customerId);
}

/** Risk assessments by key, under the permit (a write's payload, read again). */
export function loadRiskAssessments(sql: Sql, permit: Permit, keys: readonly string[]): Promise<(RiskAssessmentRow | null)[]> {
  return byKeys<RiskAssessmentRow>(sql, permit, keys);
}

const assessmentColumns = (sql: Sql) =>
  sql`ra.id, ra.customer_id, ra.tolerance, ra.lowest_category, ra.score, ra.assessed_at, ra.expires_at`;
