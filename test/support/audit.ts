// Reading the audit trail the way auditors do: through auditEvents, over HTTP, as an auditor.

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
