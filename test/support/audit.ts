// Reading the audit trail the way auditors do: through auditEvents, over HTTP, as an auditor.

import { chainHash, recordColumns, type ChainRecord } from '../../src/audit/chain.ts';
import type { Sql } from '../../src/db/database.ts';
import type { TestGateway } from './gateway.ts';

/** Every field of an audit event. */
export const EVENT_FIELDS = `seq at actor roles purpose operation operationHash requestId kind retainUntil action fieldPath fields masked
  hidden resourceType resourceId resourceIds customerIds decision failed inTransaction policies policyHashes reasons detail hash prevHash`;

/** An audit event as auditEvents returns it. */
export interface AuditEvent {
  seq: string;
  at: string;
  actor: string;
  roles: string[];
  purpose: string | null;
  operation: string;
  operationHash: string | null;
  requestId: string;
  kind: string;
  retainUntil: string;
  action: string;
  fieldPath: string;
  fields: string[];
  masked: string[];
  hidden: string[];
  resourceType: string | null;
  resourceId: string | null;
  resourceIds: string[];
  customerIds: string[];
  decision: 'ALLOW' | 'DENY';
  failed: boolean;
  inTransaction: boolean;
  policies: string[];
  policyHashes: string[];
  reasons: string[];
  detail: any;
  hash: string;
  prevHash: string;
}

const EVENTS = `query Trail($filter: AuditEventFilter, $after: String) {
  auditEvents(first: 100, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } edges { node { ${EVENT_FIELDS} } } }
}`;

/**
 * Seals what is committed, then reads every matching event as an auditor, page by page in chain
 * order. (The read is itself recorded, under the auditor's own request id.)
 */
export async function trail(gw: TestGateway, filter: Record<string, unknown> = {}): Promise<AuditEvent[]> {
  await gw.seal();
  const token = await gw.token({ roles: ['auditor'], sub: 'test-auditor' });
  const events: AuditEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const response: any = await gw.request(EVENTS, { token, variables: { filter, after } });
    if (response.errors) throw new Error(`auditEvents failed: ${JSON.stringify(response.errors)}`);
    events.push(...response.data.auditEvents.edges.map((e: any) => e.node));
    if (!response.data.auditEvents.pageInfo.hasNextPage) return events;
    after = response.data.auditEvents.pageInfo.endCursor;
  }
}

/** The events of one request (sent with `x-request-id: requestId`). */
export const eventsOf = (gw: TestGateway, requestId: string) => trail(gw, { requestId });

/** Runs `work` as the owner with the trail's append-only triggers off: what a superuser can do. */
export const tamper = (gw: TestGateway, work: (sql: Sql) => Promise<unknown>) =>
  gw.asOwner(async (sql) => {
    await sql`alter table audit_events disable trigger user`;
    await sql`alter table audit_chain disable trigger user`;
    await sql`alter table audit_checkpoints disable trigger user`;
    try {
      await work(sql);
    } finally {
      await sql`alter table audit_events enable trigger user`;
      await sql`alter table audit_chain enable trigger user`;
      await sql`alter table audit_checkpoints enable trigger user`;
    }
  });

/**
 * A superuser's careful rewrite: changes the actor of the record at `seq`, recomputes every hash
 * from there on as the algorithm says, and removes the stored checkpoints.
 */
export const rewrite = (gw: TestGateway, seq: number) =>
  tamper(gw, async (sql) => {
    const [victim] = await sql<[{ id: string }]>`select event_id as id from audit_chain where seq = ${seq}`;
    await sql`update audit_events set actor = 'nobody' where id = ${victim.id}`;
    const rows = await sql<(ChainRecord & { seq: string })[]>`
      select e.seq, ${recordColumns(sql, 'audit_trail')} from audit_trail e where e.seq >= ${seq} order by e.seq`;
    let [{ prev }] = await sql<[{ prev: string }]>`select hash as prev from audit_chain where seq = ${seq - 1}`;
    for (const row of rows) {
      const hash = chainHash(prev, row.seq, row);
      await sql`update audit_chain set prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`;
      prev = hash;
    }
    await sql`delete from audit_checkpoints`;
  });
