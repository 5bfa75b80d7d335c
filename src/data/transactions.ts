import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import { cursorKey, pageSize, toPage, type Page, type PageArgs } from './page.ts';
import { byKeys, groupBy, list, permitted } from './query.ts';

export interface TransactionRow {
  id: string;
  type: 'PURCHASE' | 'REDEMPTION' | 'TRANSFER' | 'DEPOSIT' | 'REVERSAL';
  status: 'PENDING' | 'COMPLETED' | 'REJECTED' | 'REVERSED';
  amount: string;
  currency: string;
  customerId: string;
  productId: string | null;
  createdAt: Date;
}

export interface RiskAlertRow {
  id: string;
  kind: string;
  status: string;
  customerId: string;
  transactionId: string | null;
  rule: string | null;
  /** The side of the customer's day it is about (INCOMING, OUTGOING), for AML alerts. */
  side: string | null;
  reason: string;
  /** When it must be reported (or reviewed) by. */
  dueAt: Date | null;
  createdAt: Date;
}

/** One step of a risk alert's review (risk_alert_reviews: append-only). */
export interface RiskAlertReviewRow {
  id: string;
  alertId: string;
  fromStatus: string;
  toStatus: string;
  reviewer: string;
  reason: string;
  reviewedAt: Date;
}

/** A purchase's cooling-off period; `id` is the purchase's. */
export interface CoolingOffRow {
  id: string;
  productClass: string;
  startsAt: Date;
  endsAt: Date;
  returnCallRequired: boolean;
  returnCallAt: Date | null;
}

export interface TransactionFilter {
  customerId?: string | undefined;
  type?: string | null | undefined;
  status?: string | null | undefined;
  from?: Date | null | undefined;
  to?: Date | null | undefined;
}

export interface RiskAlertFilter {
  kind?: string | null | undefined;
  status?: string | null | undefined;
  customerId?: string | undefined;
  /** Due strictly before this instant (alerts without a deadline never match). */
  dueBefore?: Date | null | undefined;
}

export function loadTransaction(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<TransactionRow | null> {
  return loaders.get(permit, 'transaction', (keys: readonly string[]) => byKeys<TransactionRow>(sql, permit, keys)).load(key);
}

/** Transactions by key, under the permit (a write's payload, read again). */
export function transactionsByKey(sql: Sql, permit: Permit, keys: readonly string[]): Promise<(TransactionRow | null)[]> {
  return byKeys<TransactionRow>(sql, permit, keys);
}

/** Transactions newest first. */
export function listTransactions(sql: Sql, permit: Permit, args: PageArgs, filter: TransactionFilter = {}): Promise<Page<TransactionRow>> {
  const where: Fragment[] = [];
  if (filter.customerId) where.push(sql`t.customer_id = ${filter.customerId}`);
  if (filter.type) where.push(sql`t.type = ${filter.type}`);
  if (filter.status) where.push(sql`t.status = ${filter.status}`);
  if (filter.from) where.push(sql`t.created_at >= ${filter.from}`);
  if (filter.to) where.push(sql`t.created_at < ${filter.to}`);
  return list<TransactionRow>(sql, permit, args, { where, order: 'desc' });
}

/**
 * One customer's transactions, newest first, batched across customers: one statement for the
 * pages of every customer at this level of the query, one more for their counts.
 */
export function customerTransactions(sql: Sql, loaders: Loaders, permit: Permit, customerId: string, args: PageArgs): Promise<Page<TransactionRow>> {
  const limit = pageSize(args.first);
  const after = cursorKey(args.after);
  const pages = loaders.get(permit, `customerTransactions:${limit}:${after ?? ''}`, async (keys: readonly string[]) => {
    const rows = await sql<TransactionRow[]>`
      select t.* from unnest(${keys as string[]}::bigint[]) as k(customer_id)
      cross join lateral (
        select t.* from transactions t
         where t.customer_id = k.customer_id and ${permitted(sql, permit, 'Transaction')}
           and ${after === undefined ? sql`true` : sql`t.id < ${after}`}
         order by t.id desc
         limit ${limit + 1}
      ) t`;
    return groupBy(keys, rows, (row) => row.customerId);
  });
  const counts = loaders.get(permit, 'customerTransactionCount', async (keys: readonly string[]) => {
    const rows = await sql<{ customerId: string; n: number }[]>`
      select t.customer_id, count(*)::int as n from transactions t
       where t.customer_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'Transaction')}
       group by t.customer_id`;
    const found = new Map(rows.map((row) => [row.customerId, row.n]));
    return keys.map((key) => found.get(key) ?? 0);
  });
  return limit === 0
    ? Promise.resolve(toPage([], 0, () => counts.load(customerId)))
    : pages.load(customerId).then((rows) => toPage(rows, limit, () => counts.load(customerId)));
}

export function loadRiskAlert(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<RiskAlertRow | null> {
  return loaders.get(permit, 'riskAlert', (keys: readonly string[]) => byKeys<RiskAlertRow>(sql, permit, keys)).load(key);
}

/** Risk alerts newest first. */
export function listRiskAlerts(sql: Sql, permit: Permit, args: PageArgs, filter: RiskAlertFilter = {}): Promise<Page<RiskAlertRow>> {
  const where: Fragment[] = [];
  if (filter.kind) where.push(sql`r.kind = ${filter.kind}`);
  if (filter.status) where.push(sql`r.status = ${filter.status}`);
  if (filter.customerId) where.push(sql`r.customer_id = ${filter.customerId}`);
  if (filter.dueBefore) where.push(sql`r.due_at < ${filter.dueBefore}`);
  return list<RiskAlertRow>(sql, permit, args, { where, order: 'desc' });
}

/** The review history of an alert, oldest first, batched across alerts; under the permit for its alert. */
export function loadReviewsOf(sql: Sql, loaders: Loaders, permit: Permit, alertId: string): Promise<RiskAlertReviewRow[]> {
  return loaders
    .get(permit, 'reviewsOf', async (keys: readonly string[]) => {
      const rows = await sql<RiskAlertReviewRow[]>`
        select v.* from risk_alert_reviews v join risk_alerts r on r.id = v.alert_id
         where v.alert_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'RiskAlert')}
         order by v.id`;
      return groupBy(keys, rows, (row) => row.alertId);
    })
    .load(alertId);
}

/** A purchase's cooling-off period (null: none), batched across transactions; under the permit for the transaction. */
export function loadCoolingOffOf(sql: Sql, loaders: Loaders, permit: Permit, transactionId: string): Promise<CoolingOffRow | null> {
  return loaders
    .get(permit, 'coolingOffOf', async (keys: readonly string[]) => {
      const rows = await sql<CoolingOffRow[]>`
        select c.transaction_id as id, c.product_class, c.starts_at, c.ends_at, c.return_call_required, c.return_call_at
          from cooling_off_periods c join transactions t on t.id = c.transaction_id
         where c.transaction_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'Transaction')}`;
      const found = new Map(rows.map((row) => [row.id, row]));
      return keys.map((key) => found.get(key) ?? null);
    })
    .load(transactionId);
}

export function loadAlertsOf(sql: Sql, loaders: Loaders, permit: Permit, transactionId: string): Promise<RiskAlertRow[]> {
  return loaders
    .get(permit, 'alertsOf', async (keys: readonly string[]) => {
      const rows = await sql<RiskAlertRow[]>`
        select r.* from risk_alerts r
         where r.transaction_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'RiskAlert')}
         order by r.id`;
      return groupBy(keys, rows, (row) => row.transactionId);
    })
    .load(transactionId);
}
