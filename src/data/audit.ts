// The audit trail as auditors query it: sealed records in chain order, filtered by who, whose
// data, why, what, under which policy version, with which outcome, when. An event's identity in
// the API is its chain position (`id` = `seq`): only sealed records are listed, so every one has
// a position, and cursors stay stable while the chain grows.

import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import { badInput } from '../errors.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import { cursorKey, pageSize, toPage, type Page, type PageArgs } from './page.ts';
import { all, permitted } from './query.ts';

export interface AuditEventRow {
  /** The chain position (the API's key for the event). */
  id: string;
  seq: string;
  eventId: string;
  at: Date;
  kind: string;
  retainUntil: Date;
  requestId: string;
  operation: string;
  operationHash: string | null;
  actor: string;
  roles: string[];
  purpose: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  resourceIds: string[];
  customerIds: string[];
  fieldPath: string;
  fields: string[];
  masked: string[];
  hidden: string[];
  decision: 'ALLOW' | 'DENY';
  failed: boolean;
  inTransaction: boolean;
  policies: string[];
  policySha256: string[];
  reasons: string[];
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
  sealedAt: Date;
}

/** What auditors filter the trail by; every condition must hold. */
export interface AuditEventFilter {
  actor?: string | null | undefined;
  resourceType?: string | null | undefined;
  /** A record among those the decision covered. */
  resourceId?: string | null | undefined;
  /** A customer (database key) whose data the decision covered. */
  customerId?: string | null | undefined;
  purpose?: string | null | undefined;
  decision?: string | null | undefined;
  /** `module@version`: decided under that policy version. */
  policy?: string | null | undefined;
  /** A response path read under the decision (or its root path). */
  fieldPath?: string | null | undefined;
  kind?: string | null | undefined;
  action?: string | null | undefined;
  requestId?: string | null | undefined;
  failed?: boolean | null | undefined;
  /** From this instant (inclusive) … */
  from?: Date | null | undefined;
  /** … to this one (exclusive). */
  to?: Date | null | undefined;
}

const POLICY_ID = /^[a-z][a-z0-9-]*@[1-9]\d{0,8}$/;

/** The trail as a table whose key is the chain position, under the resource's alias. */
const trail = (sql: Sql) => sql`(select t.*, t.seq as id from audit_trail t) ae`;

/** One sealed event by its position; null when there is none or the permit does not cover it. */
export async function loadAuditEvent(sql: Sql, permit: Permit, seq: string): Promise<AuditEventRow | null> {
  checkPermit(permit, 'AuditEvent');
  const [row] = await sql<AuditEventRow[]>`select ae.* from ${trail(sql)} where ae.seq = ${seq} and ${permitted(sql, permit)}`;
  return row ?? null;
}

/** Sealed events in chain order (oldest first), keyset-paginated on the position. */
export async function listAuditEvents(sql: Sql, permit: Permit, args: PageArgs, filter: AuditEventFilter = {}): Promise<Page<AuditEventRow>> {
  checkPermit(permit, 'AuditEvent');
  const limit = pageSize(args.first);
  const after = cursorKey(args.after);
  const conditions = all(sql, [permitted(sql, permit), ...conditionsOf(sql, filter)]);
  const rows =
    limit === 0
      ? []
      : await sql<AuditEventRow[]>`
          select ae.* from ${trail(sql)}
           where ${conditions} and ${after === undefined ? sql`true` : sql`ae.seq > ${after}`}
           order by ae.seq limit ${limit + 1}`;
  return toPage([...rows], limit, async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${trail(sql)} where ${conditions}`;
    return row!.n;
  });
}

/** The filter as SQL; a malformed value is BAD_USER_INPUT naming its field. */
function conditionsOf(sql: Sql, f: AuditEventFilter): Fragment[] {
  const where: Fragment[] = [];
  if (f.from && f.to && f.from >= f.to) throw badInput('filter.to', 'must be later than filter.from');
  if (f.policy && !POLICY_ID.test(f.policy)) throw badInput('filter.policy', 'must be module@version, e.g. access@2');
  if (f.customerId && !/^[0-9]{1,18}$/.test(f.customerId)) throw badInput('filter.customerId', 'is not a customer id');
  if (f.actor) where.push(sql`ae.actor = ${f.actor}`);
  if (f.resourceType) where.push(sql`ae.resource_type = ${f.resourceType}`);
  if (f.resourceId) where.push(sql`ae.resource_ids @> array[${f.resourceId}]::text[]`);
  if (f.customerId) where.push(sql`ae.customer_ids @> array[${f.customerId}]::bigint[]`);
  if (f.purpose) where.push(sql`ae.purpose = ${f.purpose}`);
  if (f.decision) where.push(sql`ae.decision = ${f.decision}`);
  if (f.policy) where.push(sql`ae.policies @> array[${f.policy}]::text[]`);
  if (f.fieldPath) where.push(sql`(ae.field_path = ${f.fieldPath} or ae.fields @> array[${f.fieldPath}]::text[])`);
  if (f.kind) where.push(sql`ae.kind = ${f.kind}`);
  if (f.action) where.push(sql`ae.action = ${f.action}`);
  if (f.requestId) where.push(sql`ae.request_id = ${f.requestId}`);
  if (f.failed !== null && f.failed !== undefined) where.push(sql`ae.failed = ${f.failed}`);
  if (f.from) where.push(sql`ae.at >= ${f.from}`);
  if (f.to) where.push(sql`ae.at < ${f.to}`);
  return where;
}
