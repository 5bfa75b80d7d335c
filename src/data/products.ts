import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import type { Page, PageArgs } from './page.ts';
import { byKeys, list } from './query.ts';

export interface ProductRow {
  id: string;
  code: string;
  name: string;
  category: string;
  riskLevel: string;
  status: string;
  /** `PUBLIC`, or `PRIVATE`: qualified investors only, never promoted to the public. */
  offering: string;
  /** Investment-type insurance (投连险, 万能险), under suitability like a fund. */
  investmentLinked: boolean;
  issuerId: string;
  distributorId: string;
  currency: string;
  minAmount: string;
}

export interface ProductFilter {
  category?: string | null | undefined;
  riskLevel?: string | null | undefined;
  status?: string | null | undefined;
}

export function loadProduct(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<ProductRow | null> {
  return loaders.get(permit, 'product', (keys: readonly string[]) => byKeys<ProductRow>(sql, permit, keys)).load(key);
}

export function listProducts(sql: Sql, permit: Permit, args: PageArgs & { filter?: ProductFilter | null }): Promise<Page<ProductRow>> {
  const filter = args.filter ?? {};
  const where: Fragment[] = [];
  if (filter.category) where.push(sql`p.category = ${filter.category}`);
  if (filter.riskLevel) where.push(sql`p.risk_level = ${filter.riskLevel}`);
  if (filter.status) where.push(sql`p.status = ${filter.status}`);
  return list<ProductRow>(sql, permit, args, { where });
}
