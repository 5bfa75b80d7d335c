// The hash chain: position `seq` seals one record with hash = sha256(prevHash || canonical(record)),
// where the canonical form covers every column of the record and its position. The sealer and
// every verifier compute it here, from the columns as stored, so a change to any of them shows.

import { createHash } from 'node:crypto';
import type { Sql } from '../db/database.ts';

/** The hash before the first position. */
export const GENESIS = '0'.repeat(64);

/** A record as the chain covers it: every column as stored (`detail` as its jsonb text). */
export interface ChainRecord {
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
  decision: string;
  failed: boolean;
  inTransaction: boolean;
  policies: string[];
  policySha256: string[];
  reasons: string[];
  /** PostgreSQL's text of the jsonb value: one deterministic rendering, whatever the client. */
  detail: string;
}

/** The columns of a `ChainRecord`, from `audit_events` (its key is `id`) or `audit_trail` (`event_id`) aliased `e`. */
export function recordColumns(sql: Sql, from: 'audit_events' | 'audit_trail') {
  return sql.unsafe(`
    e.${from === 'audit_events' ? 'id' : 'event_id'} as event_id, e.at, e.kind, e.retain_until, e.request_id, e.operation, e.operation_hash, e.actor,
    e.roles, e.purpose, e.action, e.resource_type, e.resource_id, e.resource_ids,
    e.customer_ids::text[] as customer_ids, e.field_path, e.fields, e.masked, e.hidden, e.decision,
    e.failed, e.in_transaction, e.policies, e.policy_sha256, e.reasons, e.detail::text as detail`);
}

/** The canonical form of a record at a position: a JSON array in a fixed order (format 1). */
export function canonical(seq: string, r: ChainRecord): string {
  return JSON.stringify([
    1,
    seq,
    r.eventId,
    r.at.toISOString(),
    r.kind,
    r.retainUntil.toISOString(),
    r.requestId,
    r.operation,
    r.operationHash,
    r.actor,
    r.roles,
    r.purpose,
    r.action,
    r.resourceType,
    r.resourceId,
    r.resourceIds,
    r.customerIds,
    r.fieldPath,
    r.fields,
    r.masked,
    r.hidden,
    r.decision,
    r.failed,
    r.inTransaction,
    r.policies,
    r.policySha256,
    r.reasons,
    r.detail,
  ]);
}

/** hash = sha256(prevHash || canonical(record at seq)), lowercase hex. */
export function chainHash(prevHash: string, seq: string, record: ChainRecord): string {
  return createHash('sha256').update(prevHash).update(canonical(seq, record)).digest('hex');
}
