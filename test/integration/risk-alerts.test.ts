// Risk alerts for compliance through HTTP: the work list (kind, status, customer, due before), the
// review OPEN → UNDER_REVIEW → CLOSED or REPORTED with its append-only history, and no tipping-off:
// customers never see an alert.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let compliance: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  compliance = await gw.token({ roles: ['compliance'], sub: 'officer-1' });
});
afterAll(() => gw?.close());

const TRANSFER = `mutation($input: TransferInput!) { transfer(input: $input) { id amount } }`;
const ALERT_FIELDS = 'id kind status rule side dueAt customer { id } reviews { fromStatus toStatus reviewer reason reviewedAt }';
const LIST = `query($filter: RiskAlertFilter) { riskAlerts(first: 100, filter: $filter) { totalCount edges { node { ${ALERT_FIELDS} } } } }`;
const REVIEW = `mutation($input: ReviewRiskAlertInput!) { reviewRiskAlert(input: $input) { ${ALERT_FIELDS} } }`;

interface Customer {
  id: string;
  token: string;
  account: string;
}

const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.code;

async function customer(balance: string): Promise<Customer> {
  const id = await newCustomer(gw.db.sql);
  const account = await openAccount(gw.db.sql, id, balance);
  return { id, token: await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` }), account };
}

const transfer = (from: Customer, to: Customer, amount: string) =>
  gw.request(TRANSFER, {
    token: from.token,
    variables: { input: { fromAccountId: toGlobalId('Account', from.account), toAccountId: toGlobalId('Account', to.account), amount, idempotencyKey: randomUUID() } },
  });

/** A large-value transfer from a new customer to another: two OPEN alerts, one on each. */
async function largeValue(): Promise<{ alice: Customer; bob: Customer; transactionId: string; alerts: any[] }> {
  const alice = await customer('600000.00');
  const bob = await customer('0');
  const moved = await transfer(alice, bob, '500000.00');
  expect(moved.errors).toBeUndefined();
  const alerts = await list({ customerId: toGlobalId('Customer', alice.id) });
  return { alice, bob, transactionId: moved.data.transfer.id, alerts };
}

async function list(filter: Record<string, unknown>): Promise<any[]> {
  const response = await gw.request(LIST, { token: compliance, variables: { filter } });
  expect(response.errors).toBeUndefined();
  return response.data.riskAlerts.edges.map((e: any) => e.node);
}

const review = (alertId: string, status: string, reason = 'checked the counterparty and the source of funds', token = compliance) =>
  gw.request(REVIEW, { token, variables: { input: { alertId, status, reason } } });

describe('the work list', () => {
  it("filters by customer, kind, status and deadline, and shows each alert's side and due date", async () => {
    const { alice, bob } = await largeValue();
    const [aliceAlert] = await list({ customerId: toGlobalId('Customer', alice.id) });
    expect(aliceAlert).toMatchObject({ kind: 'LARGE_VALUE', status: 'OPEN', rule: '0503', side: 'OUTGOING', customer: { id: toGlobalId('Customer', alice.id) }, reviews: [] });
    const [bobAlert] = await list({ customerId: toGlobalId('Customer', bob.id), kind: 'LARGE_VALUE', status: 'OPEN' });
    expect(bobAlert).toMatchObject({ side: 'INCOMING' });
    const due = Date.parse(aliceAlert.dueAt);
    const byDeadline = async (instant: number) => (await list({ dueBefore: new Date(instant).toISOString(), customerId: toGlobalId('Customer', alice.id) })).length;
    expect(await byDeadline(due)).toBe(0);
    expect(await byDeadline(due + 1)).toBe(1);
    expect(await list({ customerId: toGlobalId('Customer', alice.id), kind: 'HIGH_FREQUENCY' })).toEqual([]);
    expect(await list({ customerId: toGlobalId('Customer', alice.id), status: 'CLOSED' })).toEqual([]);
  });
});

describe('review', () => {
  it('moves an alert OPEN → UNDER_REVIEW → REPORTED, recording each step with reviewer, reason and time', async () => {
    const { alerts } = await largeValue();
    const id = alerts[0].id;
    const taken = await review(id, 'UNDER_REVIEW', 'taking it');
    expect(taken.errors).toBeUndefined();
    expect(taken.data.reviewRiskAlert).toMatchObject({ status: 'UNDER_REVIEW', reviews: [{ fromStatus: 'OPEN', toStatus: 'UNDER_REVIEW', reviewer: 'officer-1', reason: 'taking it' }] });
    const reported = await review(id, 'REPORTED', 'same-day total above 0503; reported to CAMLMAC');
    expect(reported.data.reviewRiskAlert.status).toBe('REPORTED');
    expect(reported.data.reviewRiskAlert.reviews.map((r: any) => [r.fromStatus, r.toStatus])).toEqual([
      ['OPEN', 'UNDER_REVIEW'],
      ['UNDER_REVIEW', 'REPORTED'],
    ]);
    const [first, second] = reported.data.reviewRiskAlert.reviews;
    expect(Date.parse(second.reviewedAt)).toBeGreaterThanOrEqual(Date.parse(first.reviewedAt));
  });

  it('closes an alert under review (excluded, with the reason recorded)', async () => {
    const { alerts } = await largeValue();
    await review(alerts[0].id, 'UNDER_REVIEW');
    const closed = await review(alerts[0].id, 'CLOSED', 'salary and a house sale: documented');
    expect(closed.data.reviewRiskAlert).toMatchObject({ status: 'CLOSED' });
  });

  it.each([
    ['OPEN', 'CLOSED'],
    ['OPEN', 'REPORTED'],
    ['OPEN', 'OPEN'],
  ])('refuses %s → %s with BAD_USER_INPUT naming input.status: a person reviews it first', async (_from, to) => {
    const { alerts } = await largeValue();
    const response = await review(alerts[0].id, to);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    expect((await list({ customerId: alerts[0].customer.id }))[0]).toMatchObject({ status: 'OPEN', reviews: [] });
  });

  it('refuses any step after REPORTED or CLOSED', async () => {
    const { alerts } = await largeValue();
    await review(alerts[0].id, 'UNDER_REVIEW');
    await review(alerts[0].id, 'REPORTED');
    for (const status of ['CLOSED', 'UNDER_REVIEW', 'OPEN']) {
      expect((await review(alerts[0].id, status)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    }
  });

  it('refuses an empty reason naming input.reason, and an unknown alert with NOT_FOUND', async () => {
    const { alerts } = await largeValue();
    expect((await review(alerts[0].id, 'UNDER_REVIEW', '   ')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    expect((await review(toGlobalId('RiskAlert', '999999999'), 'UNDER_REVIEW')).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.alertId' });
  });

  it('takes a reason of up to 2000 characters, not one more', async () => {
    const { alerts } = await largeValue();
    expect((await review(alerts[0].id, 'UNDER_REVIEW', 'x'.repeat(2001))).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    expect((await review(alerts[0].id, 'UNDER_REVIEW', 'x'.repeat(2000))).data.reviewRiskAlert.reviews).toMatchObject([{ reason: 'x'.repeat(2000) }]);
  });

  it('lets one of two reviewers taking the same alert at once win; the other is told the step is gone', async () => {
    const { alerts } = await largeValue();
    const other = await gw.token({ roles: ['compliance'], sub: 'officer-2' });
    const responses = await Promise.all([review(alerts[0].id, 'UNDER_REVIEW'), review(alerts[0].id, 'UNDER_REVIEW', 'mine', other)]);
    expect(responses.filter((r) => !r.errors)).toHaveLength(1);
    expect(responses.map(codeOf).filter(Boolean)).toEqual(['BAD_USER_INPUT']);
    expect((await list({ customerId: alerts[0].customer.id }))[0].reviews).toHaveLength(1);
  });

  it('is for compliance only: auditors read alerts, advisors do not review them', async () => {
    const { alerts } = await largeValue();
    const auditor = await gw.token({ roles: ['auditor'] });
    const advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', '1') });
    const read = await gw.request(LIST, { token: auditor, variables: { filter: { customerId: alerts[0].customer.id } } });
    expect(read.data.riskAlerts.totalCount).toBe(1);
    for (const token of [auditor, advisor]) expect(codeOf(await review(alerts[0].id, 'UNDER_REVIEW', 'x', token))).toBe('POLICY_DENIED');
  });

  it('cannot be rewritten: the database refuses to change an alert but through a review, and to change the history', async () => {
    const { alerts } = await largeValue();
    await review(alerts[0].id, 'UNDER_REVIEW');
    const key = Buffer.from(alerts[0].id, 'base64url').toString().split(':')[1]!;
    for (const statement of [
      gw.db.sql`update risk_alerts set status = 'CLOSED' where id = ${key}`,
      gw.db.sql`update risk_alerts set due_at = null where id = ${key}`,
      gw.db.sql`update risk_alert_reviews set reason = 'nothing' where alert_id = ${key}`,
      gw.db.sql`delete from risk_alert_reviews where alert_id = ${key}`,
      gw.db.sql`insert into risk_alert_reviews (alert_id, from_status, to_status, reviewer, reason) values (${key}, 'OPEN', 'UNDER_REVIEW', 'x', 'again')`,
    ]) {
      await expect(statement).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|40001)$/) });
    }
  });
});

describe('no tipping-off (反洗钱法 第35条)', () => {
  it('never shows a customer an alert: not in a list, not on their own transaction, not by id, and they cannot review one', async () => {
    const { alice, transactionId, alerts } = await largeValue();
    const listed = await gw.request(LIST, { token: alice.token, variables: { filter: {} } });
    expect(codeOf(listed)).toBe('POLICY_DENIED');
    expect(listed.data).toBeNull();
    const own = await gw.request(`query($id: ID!) { transaction(id: $id) { id riskAlerts { kind } } }`, { token: alice.token, variables: { id: transactionId } });
    expect(own.data.transaction).toBeNull();
    expect(codeOf(own)).toBe('POLICY_DENIED');
    const byId = await gw.request(`query($id: ID!) { node(id: $id) { id } }`, { token: alice.token, variables: { id: alerts[0].id } });
    expect(byId.data.node).toBeNull();
    expect(codeOf(byId)).toBe('POLICY_DENIED');
    expect(codeOf(await review(alerts[0].id, 'UNDER_REVIEW', 'x', alice.token))).toBe('POLICY_DENIED');
  });

  it('answers a movement that raised alerts exactly like one that did not', async () => {
    const alice = await customer('600000.00');
    const bob = await customer('0');
    const quiet = await transfer(alice, bob, '1.00');
    const loud = await transfer(alice, bob, '500000.00');
    expect(Object.keys(loud)).toEqual(Object.keys(quiet));
    expect(loud.extensions).toEqual(quiet.extensions);
    expect(Object.keys(loud.data.transfer)).toEqual(Object.keys(quiet.data.transfer));
  });
});
