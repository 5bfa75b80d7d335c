// One audit record as it is written: what the audit policy module makes of a decision (or of an
// operator's command), and the one statement that inserts any number of them.

import type { PendingQuery, Row } from 'postgres';
import type { Sql } from '../db/database.ts';
import { resources } from '../resources.ts';

/**
 * A record of one decision: who (actor, roles), why (purpose), what (operation, action, resource,
 * field paths read, masked and hidden), the outcome, under which policy versions, the reasons,
 * when. Ids, classes and amounts only: values of personal data never go in.
 */
export interface AuditRecord {
  at: Date;
  /** The audit policy's record kind (`transaction`, `access`, `policy`…), which sets `retainUntil`. */
  kind: string;
  retainUntil: Date;
  requestId: string;
  /** The GraphQL operation's name (`anonymous` without one), or the CLI command. */
  operation: string;
  operationHash: string | null;
  actor: string;
  roles: readonly string[];
  purpose: string | null;
  action: string;
  resourceType: string | null;
  /** Every record decided on; `resourceId` when there is exactly one. */
  resourceIds: readonly string[];
  /** The customers whose data it covered; null: derived from the resource ids when inserted. */
  customerIds: readonly string[] | null;
  /** The root-most response path (`customers`, `Mutation.transfer`), and every path read under the decision. */
  fieldPath: string;
  fields: readonly string[];
  masked: readonly string[];
  hidden: readonly string[];
  decision: 'ALLOW' | 'DENY';
  /** The write it allowed failed and rolled back: the record is its attempt. */
  failed: boolean;
  /** Written in the write's own database transaction. */
  inTransaction: boolean;
  /** `module@version` of every version in force, and each file's sha256 (same order). */
  policies: readonly string[];
  policySha256: readonly string[];
  /** The reason codes of every verdict. */
  reasons: readonly string[];
  /** Verdicts, obligations, shadow disagreements, and the decision's input for replay. */
  detail: AuditDetail;
}

/** What a record keeps beyond its columns (jsonb). */
export interface AuditDetail {
  verdicts: readonly { policy: string; effect: string; reasons: readonly { code: string; message: string; regulation: string | null }[] }[];
  obligations: Readonly<Record<string, unknown>>;
  shadow: readonly { policy: string; outcome: 'allow' | 'deny' }[];
  /** The policy request as decided, personal values redacted: what `fingate policy replay` decides again. */
  input?: Readonly<Record<string, unknown>>;
}

/** The column list of the JSON each record is sent as (jsonb_to_recordset), in insert order. */
const COLUMNS = [
  ['at', 'at', 'timestamptz'],
  ['kind', 'kind', 'text'],
  ['retain_until', 'retainUntil', 'timestamptz'],
  ['request_id', 'requestId', 'text'],
  ['operation', 'operation', 'text'],
  ['operation_hash', 'operationHash', 'text'],
  ['actor', 'actor', 'text'],
  ['roles', 'roles', 'text[]'],
  ['purpose', 'purpose', 'text'],
  ['action', 'action', 'text'],
  ['resource_type', 'resourceType', 'text'],
  ['resource_id', 'resourceId', 'text'],
  ['resource_ids', 'resourceIds', 'text[]'],
  ['field_path', 'fieldPath', 'text'],
  ['fields', 'fields', 'text[]'],
  ['masked', 'masked', 'text[]'],
  ['hidden', 'hidden', 'text[]'],
  ['decision', 'decision', 'text'],
  ['failed', 'failed', 'boolean'],
  ['in_transaction', 'inTransaction', 'boolean'],
  ['policies', 'policies', 'text[]'],
  ['policy_sha256', 'policySha256', 'text[]'],
  ['reasons', 'reasons', 'text[]'],
  ['detail', 'detail', 'jsonb'],
] as const;

const targets = COLUMNS.map(([column]) => column).join(', ');
const values = COLUMNS.map(([, key]) => `audit_in."${key}"`).join(', ');
const recordset = [...COLUMNS.map(([, key, type]) => `"${key}" ${type}`), '"customerIds" bigint[]'].join(', ');

/**
 * The customers behind a resource's ids, for every resource type whose rows belong to a customer
 * (src/resources.ts names the column): reads of accounts or transactions are found by customer too.
 * A customer's own ids are the customers; the others are looked up. (The ids are keys the gate
 * read from those tables: one that is not a number fails the insert, and so the request.)
 */
const customersOfResources = `case audit_in."resourceType" ${Object.entries(resources)
  .flatMap(([type, resource]) => {
    const column = (resource.columns as Record<string, string>).customerId;
    if (!column) return [];
    if (column === `${resource.alias}.id`) return [`when '${type}' then audit_in."resourceIds"::bigint[]`];
    return [
      `when '${type}' then array(select distinct ${column} from ${resource.table} ${resource.alias}
         where ${resource.alias}.id = any(audit_in."resourceIds"::bigint[]) order by 1)`,
    ];
  })
  .join(' ')} else '{}'::bigint[] end`;

/**
 * One INSERT of any number of records (as one jsonb parameter: no limit on parameters, one round
 * trip). Not sent until awaited or `.execute()`d, so a transaction can pipeline it.
 */
export function insertRecords(sql: Sql, records: readonly AuditRecord[]): PendingQuery<Row[]> {
  const rows = records.map((record) => ({ ...record, resourceId: record.resourceIds.length === 1 ? record.resourceIds[0] : null }));
  return sql`
    insert into audit_events (${sql.unsafe(targets)}, customer_ids)
    select ${sql.unsafe(values)}, coalesce(audit_in."customerIds", ${sql.unsafe(customersOfResources)})
      from jsonb_to_recordset(${sql.json(rows as never)}) as audit_in(${sql.unsafe(recordset)})`;
}
