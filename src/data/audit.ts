import { createHash } from 'node:crypto';
import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import { clientError } from '../errors.ts';
import type { Page, PageArgs } from './page.ts';
import { byKeys, list } from './query.ts';

export interface AuditEventRow {
  id: string;
  at: Date;
  actor: string;
  roles: string[];
  purpose: string | null;
  operation: string;
  fieldPath: string;
  resourceType: string | null;
  resourceId: string | null;
  decision: 'ALLOW' | 'DENY';
  policies: string[];
  reasons: string[];
  prevHash: string | null;
  hash: string | null;
}

export interface AuditEventFilter {
  actor?: string | null | undefined;
  resourceType?: string | null | undefined;
  resourceId?: string | null | undefined;
  decision?: string | null | undefined;
  from?: Date | null | undefined;
  to?: Date | null | undefined;
  fieldPath?: string | null | undefined;
}

export function loadAuditEvent(sql: Sql, permit: Permit, key: string): Promise<AuditEventRow | null> {
  return byKeys<AuditEventRow>(sql, permit, [key]).then(([row]) => row ?? null);
}

/** The trail in log order (oldest first), so cursors stay stable while records are appended. */
export function listAuditEvents(sql: Sql, permit: Permit, args: PageArgs, filter: AuditEventFilter = {}): Promise<Page<AuditEventRow>> {
  const where: Fragment[] = [];
  if (filter.actor) where.push(sql`ae.actor = ${filter.actor}`);
  if (filter.resourceType) where.push(sql`ae.resource_type = ${filter.resourceType}`);
  if (filter.resourceId) where.push(sql`ae.resource_id = ${filter.resourceId}`);
  if (filter.decision) where.push(sql`ae.decision = ${filter.decision}`);
  if (filter.from) where.push(sql`ae.at >= ${filter.from}`);
  if (filter.to) where.push(sql`ae.at < ${filter.to}`);
  if (filter.fieldPath) where.push(sql`ae.field_path = ${filter.fieldPath}`);
  return list<AuditEventRow>(sql, permit, args, { where });
}

/** The chain's state as an auditor sees it: recomputed, not trusted. */
export interface ChainStatus {
  verified: boolean;
  sealedThrough: string | null;
  length: string;
  headHash: string | null;
  firstBrokenSeq: string | null;
}

/**
 * Recomputes the hash chain over every sealed record, in order: each record's hash must be
 * sha256(previous hash || canonical record) and name the previous hash. Reports the first
 * position where that fails. A chain is verified whole or not at all: the permit must cover every
 * record (POLICY_DENIED otherwise).
 */
export async function verifyChain(sql: Sql, permit: Permit): Promise<ChainStatus> {
  checkPermit(permit, 'AuditEvent');
  if (permit.rows.op !== 'all') throw clientError('POLICY_DENIED', 'verifying the audit chain needs a read of every record');
  const [{ length }] = await sql<[{ length: string }]>`select count(*)::text as length from audit_events`;
  let previous: string | null = null;
  let sealedThrough: string | null = null;
  let firstBroken: string | null = null;
  const rows = sql<AuditEventRow[]>`select * from audit_events where hash is not null order by id`.cursor(1000);
  for await (const batch of rows) {
    for (const row of batch) {
      if (firstBroken === null && (row.prevHash !== previous || row.hash !== chainHash(previous, row))) firstBroken = row.id;
      previous = row.hash;
      sealedThrough = row.id;
    }
  }
  return { verified: firstBroken === null, sealedThrough, length, headHash: previous, firstBrokenSeq: firstBroken };
}

/** sha256(prevHash || canonical(record)); the canonical form is the record's fields as a JSON array. */
export function chainHash(prevHash: string | null, row: AuditEventRow): string {
  const canonical = JSON.stringify([
    row.id,
    row.at.toISOString(),
    row.actor,
    row.roles,
    row.purpose,
    row.operation,
    row.fieldPath,
    row.resourceType,
    row.resourceId,
    row.decision,
    row.policies,
    row.reasons,
  ]);
  return createHash('sha256').update((prevHash ?? '') + canonical).digest('hex');
}
