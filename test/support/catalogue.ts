// Fixtures for the catalogue's compliance tests: institutions with exactly the licences a test
// needs, products between them with a collection account, and their disclosures.

import { randomUUID } from 'node:crypto';
import { businessDate } from '../../src/clock.ts';
import type { Sql } from '../../src/db/database.ts';

/** The business day's date today (the gateway's default time zone), shifted by `days`. */
export function businessDay(days = 0): string {
  const [y, m, d] = businessDate(new Date(), 'Asia/Shanghai').split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

/** One licence an institution holds: its type and, unless said otherwise, valid nationwide for years. */
export interface LicenceSpec {
  type: string;
  validFrom?: string;
  validTo?: string | null;
  regions?: string[];
  revoked?: boolean;
}

/** A new institution of `kind` holding exactly `licences`; returns its key. */
export async function newInstitution(sql: Sql, kind: string, licences: LicenceSpec[]): Promise<string> {
  const [row] = await sql<{ id: string }[]>`insert into institutions (name, kind) values (${`测试机构-${randomUUID()}`}, ${kind}) returning id`;
  for (const licence of licences) {
    await sql`
      insert into licences (institution_id, type, number, valid_from, valid_to, regions, revoked)
      values (${row!.id}, ${licence.type}, ${`T-${randomUUID()}`}, ${licence.validFrom ?? '2015-01-01'}, ${licence.validTo ?? null},
              ${licence.regions ?? ['000000']}, ${licence.revoked ?? false})`;
  }
  return row!.id;
}

/** What a test product is; a risk disclosure is published with it unless `riskDisclosure: false`. */
export interface ProductSpec {
  category: string;
  issuerId: string;
  distributorId: string;
  status?: string;
  riskLevel?: string;
  minAmount?: string;
  riskDisclosure?: boolean;
  /** `PUBLIC` unless said otherwise. */
  offering?: string;
  investmentLinked?: boolean;
}

/** A new product with its collection account (and, by default, a published risk disclosure); returns its key. */
export async function newProduct(sql: Sql, spec: ProductSpec): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into products (code, name, category, risk_level, status, issuer_id, distributor_id, min_amount, offering, investment_linked)
    values (${`T-${randomUUID().slice(0, 8).toUpperCase()}`}, '测试产品', ${spec.category}, ${spec.riskLevel ?? 'R1'}, ${spec.status ?? 'ONLINE'},
            ${spec.issuerId}, ${spec.distributorId}, ${spec.minAmount ?? '1.00'}, ${spec.offering ?? 'PUBLIC'}, ${spec.investmentLinked ?? false})
    returning id`;
  await sql`insert into accounts (kind, product_id, name) values ('PRODUCT', ${row!.id}, '募集资金专户')`;
  if (spec.riskDisclosure !== false) await publishDisclosure(sql, row!.id, 'RISK_DISCLOSURE', 1);
  return row!.id;
}

/** Publishes version `version` of a disclosure of `kind` (now, unless `publishedAt` says); returns its key. */
export async function publishDisclosure(sql: Sql, productId: string, kind: string, version: number, publishedAt = new Date(Date.now() - 1000)): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into disclosures (product_id, kind, version, title, body, published_at)
    values (${productId}, ${kind}, ${version}, ${`${kind} v${version}`}, ${`本产品有风险 (${kind} v${version}, ${randomUUID()})`}, ${publishedAt})
    returning id`;
  return row!.id;
}
