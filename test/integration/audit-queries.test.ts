// What auditors ask the trail: by actor, resource, customer, purpose, outcome, policy version,
// field path and time range, paginated in chain order; and what they may not ask.

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { EVENT_FIELDS, trail, type AuditEvent } from '../support/audit.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { copyOfPolicies } from '../support/policies.ts';

let gw: TestGateway;
let auditor: string;
let customer: string; // a customer read by several principals
let all: AuditEvent[];
let window: { from: string; to: string };

beforeAll(async () => {
  // access@5: the same rules as access@4, activated at the end, so records differ in their versions
  const dir = await copyOfPolicies();
  const v4 = await readFile(join(dir, 'access', 'access.v4.yaml'), 'utf8');
  await writeFile(join(dir, 'access', 'access.v5.yaml'), v4.replace('version: 4', 'version: 5\nstatus: draft'));
  gw = await startGateway({ customers: 20, policiesDir: dir });
  auditor = await gw.token({ roles: ['auditor'], sub: 'auditor-q' });
  const [c] = await gw.db.sql<[{ id: string; institutionId: string }]>`select id, institution_id from customers order by id limit 1`;
  customer = c.id;
  const id = toGlobalId('Customer', customer);
  const advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', c.institutionId), sub: 'advisor-q' });
  const compliance = await gw.token({ roles: ['compliance'], sub: 'officer-q' });
  await gw.request(`query($id: ID!) { customer(id: $id) { name phone } }`, { token: advisor, purpose: 'marketing', variables: { id } });
  const from = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await gw.request(`query($id: ID!) { customer(id: $id) { idNumber accounts { id } } }`, { token: compliance, purpose: 'audit', variables: { id } });
  await new Promise((resolve) => setTimeout(resolve, 5));
  window = { from, to: new Date().toISOString() };
  await gw.request(`{ riskAlerts { totalCount } }`, { token: await gw.customerToken(customer) });
  for (let i = 0; i < 4; i++) await gw.request(`{ customers(first: 3) { edges { node { id } } } }`, { token: compliance });
  await gw.request(`mutation { activatePolicy(input: { name: "access", version: "5", mode: ENFORCE }) { mode } }`, { token: compliance });
  await gw.request(`{ customers(first: 1) { edges { node { id } } } }`, { token: await gw.token({ roles: ['compliance'], sub: 'officer-late' }) });
  all = await trail(gw);
});
afterAll(() => gw?.close());

const query = (filter: Record<string, unknown>) => trail(gw, filter);

describe('auditEvents filters', () => {
  it('by actor, purpose and outcome', async () => {
    const byActor = await query({ actor: 'advisor-q' });
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actor === 'advisor-q')).toBe(true);
    expect((await query({ purpose: 'marketing' })).map((e) => e.actor)).toEqual(['advisor-q']);
    const denied = await query({ decision: 'DENY' });
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((e) => e.decision === 'DENY' && e.action === 'riskAlert.read')).toBe(true);
  });

  it('by customer: every record covering their data, under whatever resource type (their accounts too)', async () => {
    const events = await query({ customerId: toGlobalId('Customer', customer) });
    expect(new Set(events.map((e) => e.resourceType))).toEqual(new Set(['Customer', 'Account']));
    expect(events.every((e) => e.customerIds.includes(toGlobalId('Customer', customer)))).toBe(true);
    expect(events.map((e) => e.actor)).toEqual(expect.arrayContaining(['advisor-q', 'officer-q']));
  });

  it('by resource, field path and policy version', async () => {
    const byResource = await query({ resourceType: 'Customer', resourceId: customer });
    expect(byResource.length).toBeGreaterThanOrEqual(2);
    expect(byResource.every((e) => e.resourceIds.includes(customer))).toBe(true);
    const byField = await query({ fieldPath: 'customer.idNumber' });
    expect(byField.map((e) => e.actor)).toEqual(['officer-q']);
    expect(byField[0]!.masked).toEqual(['customer.idNumber']);
    const underV5 = await query({ policy: 'access@5', actor: 'officer-late' });
    expect(underV5).toHaveLength(1);
    expect(underV5[0]!.policies).toContain('access@5');
    expect(await query({ policy: 'access@4', actor: 'officer-late' })).toEqual([]);
    expect((await query({ policy: 'access@4', actor: 'advisor-q' })).length).toBeGreaterThan(0);
    expect(await query({ policy: 'access@9' })).toEqual([]);
  });

  it('by time range (from inclusive, to exclusive)', async () => {
    const events = await query({ from: window.from, to: window.to });
    expect(events.map((e) => e.actor)).toEqual(['officer-q', 'officer-q']);
    expect(events.every((e) => e.at >= window.from && e.at < window.to)).toBe(true);
  });

  it('refuses a malformed filter with BAD_USER_INPUT naming the field', async () => {
    const ask = (filter: object) => gw.request(`query($filter: AuditEventFilter) { auditEvents(filter: $filter) { totalCount } }`, { token: auditor, variables: { filter } });
    expect((await ask({ policy: 'access' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.policy' });
    expect((await ask({ from: window.to, to: window.from })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.to' });
    expect((await ask({ customerId: toGlobalId('Product', 1) })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.customerId' });
    expect((await ask({ from: 'yesterday' })).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('pagination in chain order', () => {
  it('pages of 3 give every record once, positions increasing without a gap, totalCount counting them all', async () => {
    const seqs: number[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: any = await gw.request(`query($after: String) { auditEvents(first: 3, after: $after, filter: { actor: "officer-q" }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { seq } } } }`, {
        token: auditor,
        variables: { after },
      });
      total = page.data.auditEvents.totalCount;
      seqs.push(...page.data.auditEvents.edges.map((e: any) => Number(e.node.seq)));
      if (!page.data.auditEvents.pageInfo.hasNextPage) break;
      after = page.data.auditEvents.pageInfo.endCursor;
    }
    expect(seqs).toHaveLength(total);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const everything = all.map((e) => Number(e.seq));
    expect(everything).toEqual(Array.from({ length: everything.length }, (_, i) => i + 1));
  });

  it('reaches an event through node(id:) by its global id', async () => {
    const event = all.at(-1)!;
    const response = await gw.request(`query($id: ID!) { node(id: $id) { ... on AuditEvent { ${EVENT_FIELDS} } } }`, { token: auditor, variables: { id: toGlobalId('AuditEvent', event.seq) } });
    expect(response.data.node).toEqual(event);
  });
});

describe('who may read the trail', () => {
  it('auditors and compliance; anyone else is refused, and the refusal is itself recorded', async () => {
    const requestId = randomUUID();
    for (const roles of [['auditor'], ['compliance']]) {
      expect((await gw.request(`{ auditEvents(first: 1) { totalCount } }`, { token: await gw.token({ roles }) })).errors).toBeUndefined();
    }
    const refused = await gw.request(`{ auditEvents(first: 1) { totalCount } auditChain { verified } }`, { token: await gw.token({ roles: ['advisor'], sub: 'curious' }), headers: { 'x-request-id': requestId } });
    expect(refused.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
    expect(await query({ requestId })).toMatchObject([{ actor: 'curious', action: 'audit.read', decision: 'DENY' }]);
  });
});
