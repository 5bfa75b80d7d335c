import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import type { Page, PageArgs } from './page.ts';
import { byKeys, groupBy, list, permitted } from './query.ts';

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

/** One step of a product's lifecycle, as its history records it. */
export interface ProductStatusChangeRow {
  id: string;
  productId: string;
  fromStatus: string;
  toStatus: string;
  /** The token subject of the staff member who took the step. */
  changedBy: string;
  changedAt: Date;
}

/** Each product's lifecycle steps the permit covers, oldest first. */
export function loadStatusHistory(sql: Sql, loaders: Loaders, permit: Permit, productId: string): Promise<ProductStatusChangeRow[]> {
  return loaders
    .get(permit, 'statusHistory', async (keys: readonly string[]) => {
      const rows = await sql<ProductStatusChangeRow[]>`
        select sc.* from product_status_changes sc
         where sc.product_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'ProductStatusChange')}
         order by sc.id`;
      return groupBy(keys, rows, (row) => row.productId);
    })
    .load(productId);
}

/** Lifecycle steps by key, under the permit (a write's payload, read again). */
export function statusChangesByKey(sql: Sql, permit: Permit, keys: readonly string[]): Promise<(ProductStatusChangeRow | null)[]> {
  return byKeys<ProductStatusChangeRow>(sql, permit, keys);
}

/** Which step, by whom, when. */
export interface StatusChangeInput {
  productKey: string;
  status: string;
  /** The token subject of the staff member taking the step. */
  changedBy: string;
  now: Date;
}

/** The product as a status change sees it, locked: where it may go, and the id the change will have. */
interface LockedProduct {
  id: string;
  status: string;
  distributorId: string;
  issuerId: string;
  /** The statuses one step away (product_status_steps). */
  steps: string[];
  changeId: string;
}

/**
 * Moves a product one step along its lifecycle (the steps are product_status_steps: DRAFT →
 * IN_REVIEW → ONLINE ⇄ SUSPENDED → TERMINATED, IN_REVIEW → DRAFT; TERMINATED is final), in one
 * database transaction: the product is locked, the gate decides the step with the facts read under
 * that lock (access says who may take which step; a move to ONLINE also needs licensing and a
 * published risk disclosure), the step is recorded with who and when — the database applies it to
 * the product — and the decision stream's observers add their rows before it commits.
 * Errors: NOT_FOUND (input.productId), BAD_USER_INPUT (input.status: no step leads there from the
 * current status), POLICY_DENIED; a step the caller's rules do not cover is NOT_FOUND, like any
 * record outside their rows.
 */
export async function changeProductStatus(sql: Sql, permit: Permit, input: StatusChangeInput): Promise<ProductStatusChangeRow> {
  checkPermit(permit, 'ProductStatusChange');
  return sql.begin(async (tx) => {
    const [[product], facts] = await Promise.all([
      tx<LockedProduct[]>`
        select p.id, p.status, p.distributor_id, p.issuer_id,
               array(select s.to_status from product_status_steps s where s.from_status = p.status order by s.to_status) as steps,
               nextval(pg_get_serial_sequence('product_status_changes', 'id'))::text as change_id
          from products p where p.id = ${input.productKey}
           for no key update`.execute(),
      permit.records!.facts(tx as unknown as Sql, { product: input.productKey }),
    ]);
    if (!product) throw clientError('NOT_FOUND', 'Product not found', { field: 'input.productId' });
    if (!product.steps.includes(input.status)) {
      throw badInput('input.status', product.steps.length ? `from ${product.status} a product moves only to ${product.steps.join(' or ')}` : `${product.status} is final`);
    }
    permit.records!.decide({
      type: 'ProductStatusChange',
      id: product.changeId,
      attributes: {
        id: product.changeId,
        productId: product.id,
        distributorId: product.distributorId,
        issuerId: product.issuerId,
        fromStatus: product.status,
        toStatus: input.status,
      },
      facts,
      args: { input: { productId: input.productKey, status: input.status } },
    });
    const [row] = await tx<ProductStatusChangeRow[]>`
      insert into product_status_changes (id, product_id, from_status, to_status, changed_by, changed_at)
      values (${product.changeId}, ${product.id}, ${product.status}, ${input.status}, ${input.changedBy}, ${input.now})
      returning *`;
    await permit.records!.observe(tx as unknown as Sql);
    return row!;
  });
}
