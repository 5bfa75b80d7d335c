// Exporting the trail: sealed records of a time range, in chain order, as JSON lines or CSV,
// streamed a thousand rows at a time and written with backpressure, so memory stays flat however
// long the range.

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportOptions {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  format: ExportFormat;
  out: Writable;
  /** Called after each batch with the records written so far and the range's total. */
  onProgress?: (written: number, total: number) => void;
}

/** The exported columns, in order (CSV header, JSON keys). */
const COLUMNS = [
  'seq', 'prevHash', 'hash', 'eventId', 'at', 'kind', 'retainUntil', 'requestId', 'operation', 'operationHash',
  'actor', 'roles', 'purpose', 'action', 'resourceType', 'resourceId', 'resourceIds', 'customerIds', 'fieldPath',
  'fields', 'masked', 'hidden', 'decision', 'failed', 'inTransaction', 'policies', 'policySha256', 'reasons', 'detail',
] as const;

/** Writes the sealed records of [from, to) to `out`; returns how many. The permit must cover the whole trail. */
export async function exportTrail(sql: Sql, permit: Permit, { from, to, format, out, onProgress }: ExportOptions): Promise<number> {
  checkPermit(permit, 'AuditEvent');
  if (permit.rows.op !== 'all') throw clientError('POLICY_DENIED', 'exporting needs a read of every record');
  if (!(from < to)) throw badInput('to', 'must be later than from');
  const [{ total }] = await sql<[{ total: number }]>`select count(*)::int as total from audit_trail where at >= ${from} and at < ${to}`;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'csv') await write(`${COLUMNS.join(',')}\n`);
  let written = 0;
  const rows = sql<Record<(typeof COLUMNS)[number], unknown>[]>`
    select seq, prev_hash, hash, event_id, at, kind, retain_until, request_id, operation, operation_hash,
           actor, roles, purpose, action, resource_type, resource_id, resource_ids, customer_ids::text[] as customer_ids,
           field_path, fields, masked, hidden, decision, failed, in_transaction, policies, policy_sha256, reasons,
           detail::text as detail
      from audit_trail where at >= ${from} and at < ${to} order by seq`.cursor(1000);
  for await (const batch of rows) {
    let chunk = '';
    for (const row of batch) chunk += format === 'csv' ? csvLine(row) : jsonLine(row);
    await write(chunk);
    written += batch.length;
    onProgress?.(written, total);
  }
  return written;
}

function jsonLine(row: Record<string, unknown>): string {
  // detail is kept as the database's JSON text: a reader can hash what it reads
  const values = COLUMNS.map((c) => (c === 'detail' ? String(row[c]) : JSON.stringify(row[c] instanceof Date ? (row[c] as Date).toISOString() : (row[c] ?? null))));
  return `{${COLUMNS.map((c, i) => `${JSON.stringify(c)}:${values[i]}`).join(',')}}\n`;
}

function csvLine(row: Record<string, unknown>): string {
  return `${COLUMNS.map((c) => csvCell(row[c])).join(',')}\n`;
}

/** RFC 4180: quoted when it holds a comma, quote or line break; lists as JSON. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : Array.isArray(value) ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
