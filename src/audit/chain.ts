// The hash chain: position `seq` seals one record with hash = sha256(prevHash || canonical(record)),
// where the canonical form covers every column of the record and its position. The sealer and
// every verifier compute it here, from the columns as stored, so a change to any of them shows.

import { createHash } from 'node:crypto';
import type { Sql } from '../db/database.ts';

/** The hash before the first position. */
export const GENESIS = '0'.repeat(64);

/**
 * A record as the chain covers it: its key and its canonical form, every column in a fixed order
 * as PostgreSQL renders it (json_build_array: instants as epoch milliseconds, arrays as JSON
 * arrays, detail as its jsonb text). One deterministic string whatever client reads it, built by
 * the server in the same pass that reads the row, so sealing parses nothing per column.
 */
export interface ChainRecord {
  eventId: string;
  canonical: string;
}

/** Format 1 of the canonical form: the columns, in this order. */
const CANONICAL = `pg_catalog.json_build_array(1, e.ID, (extract(epoch from e.at) * 1000)::bigint, e.kind,
  (extract(epoch from e.retain_until) * 1000)::bigint, e.request_id, e.operation, e.operation_hash, e.actor,
  e.roles, e.purpose, e.action, e.resource_type, e.resource_id, e.resource_ids, e.customer_ids, e.field_path,
  e.fields, e.masked, e.hidden, e.decision, e.failed, e.in_transaction, e.policies, e.policy_sha256,
  e.reasons, e.detail)::text`;

/** A `ChainRecord` from `audit_events` (its key is `id`) or `audit_trail` (`event_id`) aliased `e`. */
export function recordColumns(sql: Sql, from: 'audit_events' | 'audit_trail') {
  const id = from === 'audit_events' ? 'e.id' : 'e.event_id';
  return sql.unsafe(`${id} as event_id, ${CANONICAL.replace('e.ID', id)} as canonical`);
}

/** The canonical form of a record at a position. */
export function canonical(seq: string, record: ChainRecord): string {
  return `${seq}:${record.canonical}`;
}

/** hash = sha256(prevHash || canonical(record at seq)), lowercase hex. */
export function chainHash(prevHash: string, seq: string, record: ChainRecord): string {
  return createHash('sha256').update(prevHash).update(canonical(seq, record)).digest('hex');
}
