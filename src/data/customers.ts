import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/gate.ts';
import type { Loaders } from './loaders.ts';
import type { Page, PageArgs } from './page.ts';
import { byKeys, list } from './query.ts';

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

/** The latest risk assessment of each customer (expired ones included: `expired` says so). */
export function loadRiskProfile(sql: Sql, loaders: Loaders, customerId: string): Promise<RiskAssessmentRow | null> {
  return loaders
    .get(null, 'riskProfile', async (keys: readonly string[]) => {
      const rows = await sql<RiskAssessmentRow[]>`
        select distinct on (customer_id) id, customer_id, tolerance, lowest_category, score, assessed_at, expires_at
          from risk_assessments
         where customer_id = any(${keys as string[]}::bigint[])
         order by customer_id, assessed_at desc, id desc`;
      const found = new Map(rows.map((row) => [row.customerId, row]));
      return keys.map((key) => found.get(key) ?? null);
    })
    .load(customerId);
}
