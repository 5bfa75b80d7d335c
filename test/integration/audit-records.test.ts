// Every query and mutation of the contract leaves the records the audit policy (audit@3) says it
// should, as an auditor reads them through auditEvents: who, why, what, which fields were read,
// masked or hidden, the outcome under which versions, and nothing of the personal data itself.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { eventsOf, type AuditEvent } from '../support/audit.ts';
import { startGateway, type RequestOptions, type TestGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let institution: string;
let advisor: string;
let compliance: string;
let auditor: string;
let alice: { id: string; token: string; account: string };
let bob: { id: string; account: string };

beforeAll(async () => {
  gw = await startGateway({ customers: 20 });
  const [top] = await gw.db.sql<[{ institutionId: string }]>`
    select institution_id from customers group by institution_id order by count(*) desc, institution_id limit 1`;
  institution = top.institutionId;
  advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', institution), sub: 'advisor-1' });
  compliance = await gw.token({ roles: ['compliance'], sub: 'officer-1' });
  auditor = await gw.token({ roles: ['auditor'], sub: 'auditor-1' });
  const a = await newCustomer(gw.db.sql);
  const b = await newCustomer(gw.db.sql);
  alice = { id: a, token: await gw.customerToken(a), account: await openAccount(gw.db.sql, a, '100000.00') };
  bob = { id: b, account: await openAccount(gw.db.sql, b, '0') };
});
afterAll(() => gw?.close());

/** Sends one operation under a request id of its own and returns the response and that request's records. */
async function recorded(query: string, options: RequestOptions = {}) {
  const requestId = `t-${randomUUID()}`;
  const response = await gw.request(query, { ...options, headers: { ...options.headers, 'x-request-id': requestId } });
  return { response, events: await eventsOf(gw, requestId), requestId };
}

const only = (events: AuditEvent[], action: string) => {
  const found = events.filter((e) => e.action === action);
  expect(found, `records of ${action}`).toHaveLength(1);
  return found[0]!;
};
const years = (event: AuditEvent) => (Date.parse(event.retainUntil) - Date.parse(event.at)) / (365.2425 * 86_400_000);
const customerId = (key: string) => toGlobalId('Customer', key);

describe('reads of personal data are recorded once per request and resource type', () => {
  it('under the operation the request ran, of a document holding several', async () => {
    const document = `query Name { me { name } } query Phone { me { phone } }`;
    const { response, events } = await recorded(document, { token: alice.token, operationName: 'Phone' });
    expect(response.errors).toBeUndefined();
    expect(events.map((e) => [e.operation, e.action, e.fields])).toEqual([['Phone', 'customer.read', ['me', 'me.phone']]]);
    const other = await recorded(document, { token: alice.token, operationName: 'Name' });
    expect(other.events.map((e) => [e.operation, e.fields, e.operationHash])).toEqual([['Name', ['me', 'me.name'], events[0]!.operationHash]]);
  });

  it('customer(id:): who, why, which record, which fields were read and masked, under which versions', async () => {
    const [ours] = await gw.db.sql<[{ id: string }]>`select id from customers where institution_id = ${institution} order by id limit 1`;
    const { response, events } = await recorded(`query One($id: ID!) { customer(id: $id) { name idNumber phone investorType } }`, {
      token: advisor,
      purpose: 'account-servicing',
      variables: { id: customerId(ours.id) },
    });
    expect(response.errors).toBeUndefined();
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({
      actor: 'advisor-1',
      roles: ['advisor'],
      purpose: 'account-servicing',
      operation: 'One',
      action: 'customer.read',
      kind: 'access',
      resourceType: 'Customer',
      resourceId: ours.id,
      resourceIds: [ours.id],
      customerIds: [customerId(ours.id)],
      fieldPath: 'customer',
      masked: ['customer.idNumber', 'customer.phone'],
      hidden: [],
      decision: 'ALLOW',
      failed: false,
      inTransaction: false,
    });
    expect(event.fields).toEqual(expect.arrayContaining(['customer.name', 'customer.idNumber', 'customer.phone', 'customer.investorType']));
    expect(event.operationHash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.policies).toEqual(expect.arrayContaining(['access@4', 'privacy@2', 'audit@3']));
    expect(event.policyHashes).toHaveLength(event.policies.length);
    for (const hash of event.policyHashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.reasons).toEqual(expect.arrayContaining(['SAME_INSTITUTION', 'MASKED_FOR_STAFF']));
    expect(event.detail.verdicts).toContainEqual(expect.objectContaining({ policy: 'access@4', effect: 'allow' }));
    expect(years(event)).toBeCloseTo(3, 1);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('customers(first: 10): one record for the ten customers and every field read, not one per row or field', async () => {
    const { events } = await recorded(`{ customers(first: 10) { edges { node { id name idNumber } } } }`, { token: compliance, purpose: 'audit' });
    const event = only(events, 'customer.read');
    expect(event.resourceIds).toHaveLength(10);
    expect(event.customerIds).toHaveLength(10);
    expect(event.fieldPath).toBe('customers');
    expect(event.fields).toEqual(expect.arrayContaining(['customers.edges.node.name', 'customers.edges.node.idNumber']));
    expect(event.masked).toEqual(['customers.edges.node.idNumber']);
  });

  it('records the fields hidden for want of a declared purpose', async () => {
    const { events } = await recorded(`{ customers(first: 2) { edges { node { name phone } } } }`, { token: compliance });
    const event = only(events, 'customer.read');
    expect(event.purpose).toBeNull();
    expect(event.hidden).toEqual(['customers.edges.node.name', 'customers.edges.node.phone']);
    expect(event.reasons).toContain('PURPOSE_REQUIRED');
  });

  it('me, and the relations under it: one record per resource type, each naming the customer', async () => {
    const { events } = await recorded(`{ me { id accounts { id balance } riskProfile { tolerance } } }`, { token: alice.token });
    expect(only(events, 'customer.read')).toMatchObject({ resourceIds: [alice.id], fieldPath: 'me' });
    expect(only(events, 'account.read')).toMatchObject({ resourceIds: [alice.account], customerIds: [customerId(alice.id)], fieldPath: 'me.accounts' });
    expect(only(events, 'riskProfile.read').fieldPath).toBe('me.riskProfile');
  });

  it('node(id:): under the action of the type the id names', async () => {
    const { events } = await recorded(`query($id: ID!) { node(id: $id) { ... on Account { balance } } }`, { token: alice.token, variables: { id: toGlobalId('Account', alice.account) } });
    expect(only(events, 'account.read')).toMatchObject({ resourceIds: [alice.account], customerIds: [customerId(alice.id)], fields: expect.arrayContaining(['node']) });
  });

  it('transaction(id:) and transactions: the customers behind the transactions are found', async () => {
    const [t] = await gw.db.sql<[{ id: string; customerId: string }]>`select id, customer_id from transactions where customer_id is not null order by id limit 1`;
    const one = await recorded(`query($id: ID!) { transaction(id: $id) { amount } }`, { token: compliance, variables: { id: toGlobalId('Transaction', t.id) } });
    expect(only(one.events, 'transaction.read')).toMatchObject({ resourceIds: [t.id], customerIds: [customerId(t.customerId)], fieldPath: 'transaction' });
    const page = await recorded(`{ transactions(first: 5) { edges { node { amount } } } }`, { token: compliance });
    expect(only(page.events, 'transaction.read').resourceIds).toHaveLength(5);
  });

  it('riskAlerts: allowed to compliance, and a customer’s denied attempt recorded as DENY', async () => {
    const allowed = await recorded(`{ riskAlerts(first: 3) { edges { node { kind } } } }`, { token: compliance });
    expect(only(allowed.events, 'riskAlert.read').decision).toBe('ALLOW');
    const denied = await recorded(`{ riskAlerts { totalCount } }`, { token: alice.token });
    expect(denied.response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
    expect(only(denied.events, 'riskAlert.read')).toMatchObject({ decision: 'DENY', actor: `customer-${alice.id}`, resourceIds: [] });
  });
});

describe('reads of data about no one', () => {
  it('product, products, disclosure and policies leave no record when allowed (audit@3 nonPersonalReads)', async () => {
    const [d] = await gw.db.sql<[{ id: string; productId: string }]>`select id, product_id from disclosures where published_at <= now() order by id limit 1`;
    for (const [query, variables] of [
      [`query($id: ID!) { product(id: $id) { name } }`, { id: toGlobalId('Product', d.productId) }],
      [`{ products(first: 5) { edges { node { name issuer { name } } } } }`, {}],
      [`query($id: ID!) { disclosure(id: $id) { title } }`, { id: toGlobalId('Disclosure', d.id) }],
      [`{ policies { name version } }`, {}],
    ] as const) {
      const { response, events } = await recorded(query, { token: compliance, variables });
      expect(response.errors).toBeUndefined();
      expect(events).toEqual([]);
    }
  });

  it('but a denied read of them is recorded', async () => {
    const stranger = await gw.token({ roles: ['visitor'], sub: 'stranger-1' });
    const { response, events } = await recorded(`{ products(first: 1) { totalCount } }`, { token: stranger });
    expect(response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
    expect(only(events, 'product.read')).toMatchObject({ decision: 'DENY', actor: 'stranger-1' });
  });
});

describe('reads of the trail are recorded too', () => {
  it('auditEvents, auditChain and policyReplay, as kind "trail"; refused to anyone but auditors and compliance', async () => {
    const read = await recorded(`{ auditEvents(first: 1) { totalCount } auditChain { verified } }`, { token: auditor });
    expect(read.response.errors).toBeUndefined();
    expect(only(read.events, 'audit.read')).toMatchObject({ kind: 'trail', decision: 'ALLOW', fields: expect.arrayContaining(['auditEvents', 'auditChain']) });
    const replayed = await recorded(`query { policyReplay(name: "access", version: "2", since: "2020-01-01T00:00:00Z") { replayed } }`, { token: compliance });
    expect(replayed.response.errors).toBeUndefined();
    expect(only(replayed.events, 'audit.read').fieldPath).toBe('policyReplay');
    for (const token of [advisor, alice.token]) {
      const refused = await recorded(`{ auditEvents { totalCount } }`, { token });
      expect(refused.response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
      expect(only(refused.events, 'audit.read').decision).toBe('DENY');
    }
  });
});

const TRANSFER = `mutation Move($input: TransferInput!) { transfer(input: $input) { id amount } }`;
const transferInput = (from: string, to: string, amount: string) => ({
  input: { fromAccountId: toGlobalId('Account', from), toAccountId: toGlobalId('Account', to), amount, idempotencyKey: randomUUID() },
});

describe('every mutation leaves its record, written in its own transaction', () => {
  it('transfer: the decision on the account, kept ten years (AML Law Art. 34), with what replay needs', async () => {
    const { response, events } = await recorded(TRANSFER, { token: alice.token, variables: transferInput(alice.account, bob.account, '5.00') });
    expect(response.errors).toBeUndefined();
    const writes = events.filter((e) => e.action === 'account.transfer');
    const decided = writes.find((e) => e.resourceId !== null)!;
    expect(decided).toMatchObject({
      kind: 'transaction',
      operation: 'Move',
      fieldPath: 'Mutation.transfer',
      resourceType: 'Account',
      resourceIds: [alice.account],
      customerIds: [customerId(alice.id)],
      decision: 'ALLOW',
      inTransaction: true,
      failed: false,
      reasons: ['OWN_ACCOUNT', 'AML_SCREENED'],
    });
    expect(years(decided)).toBeCloseTo(10, 1);
    expect(decided.detail.input).toMatchObject({
      action: 'account.transfer',
      resource: { type: 'Account', id: alice.account, attributes: { customerId: alice.id } },
      args: { input: { fromAccountId: alice.account, toAccountId: bob.account, amount: '5.00' } },
      facts: { customer: { id: alice.id, investorType: 'ORDINARY' } },
    });
    // the type-level decision, and the payload read again under transaction.read
    expect(writes.find((e) => e.resourceId === null)).toMatchObject({ inTransaction: false, failed: false });
    expect(only(events, 'transaction.read').fieldPath).toBe('transfer.id');
  });

  it('purchaseProduct and redeemProduct: the product decisions, in their transactions', async () => {
    const [product] = await gw.db.sql<[{ id: string }]>`select id from products where status = 'ONLINE' and risk_level = 'R1' and min_amount <= 1000 order by id limit 1`;
    const disclosures = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${product.id} and published_at <= now()`;
    await gw.request(`mutation($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance } }`, { token: alice.token, variables: { input: { answers: Array(10).fill(4) } } });
    for (const d of disclosures) await gw.request(`mutation($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`, { token: alice.token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
    const input = { productId: toGlobalId('Product', product.id), accountId: toGlobalId('Account', alice.account), amount: '1000.00' };
    const bought = await recorded(`mutation Buy($input: PurchaseInput!) { purchaseProduct(input: $input) { id } }`, { token: alice.token, variables: { input: { ...input, idempotencyKey: randomUUID() } } });
    expect(bought.response.errors).toBeUndefined();
    const purchase = bought.events.find((e) => e.action === 'product.purchase' && e.inTransaction)!;
    expect(purchase).toMatchObject({ kind: 'transaction', fieldPath: 'Mutation.purchaseProduct', resourceIds: [alice.account], decision: 'ALLOW' });
    expect(purchase.detail.input.facts.product).toMatchObject({ id: product.id, riskLevel: 'R1' });
    const sold = await recorded(`mutation Sell($input: RedeemInput!) { redeemProduct(input: $input) { id } }`, { token: alice.token, variables: { input: { ...input, amount: '10.00', idempotencyKey: randomUUID() } } });
    expect(sold.response.errors).toBeUndefined();
    expect(sold.events.find((e) => e.action === 'product.redeem' && e.inTransaction)).toMatchObject({ kind: 'transaction', fieldPath: 'Mutation.redeemProduct' });
  });

  it('submitRiskAssessment and acknowledgeDisclosure: suitability evidence, kept twenty years', async () => {
    const assessed = await recorded(`mutation Assess($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance } }`, { token: alice.token, variables: { input: { answers: Array(10).fill(3) } } });
    const assessment = assessed.events.find((e) => e.action === 'customer.assessRisk' && e.inTransaction)!;
    expect(assessment).toMatchObject({ kind: 'suitability', resourceIds: [alice.id], customerIds: [customerId(alice.id)], fieldPath: 'Mutation.submitRiskAssessment' });
    expect(assessment.detail.input.args.input.answers).toEqual(Array(10).fill(3));
    expect(assessment.detail.input.facts.customer).toMatchObject({ id: alice.id });
    expect(years(assessment)).toBeCloseTo(20, 1);
    const [d] = await gw.db.sql<[{ id: string }]>`select id from disclosures where published_at <= now() order by id desc limit 1`;
    const acknowledged = await recorded(`mutation Ack($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`, { token: alice.token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
    expect(acknowledged.events.find((e) => e.action === 'disclosure.acknowledge' && e.inTransaction)).toMatchObject({ kind: 'suitability', detail: { input: { args: { input: { disclosureId: d.id } } } } });
  });

  it("reviewRiskAlert: the decision on the alert, with its customer, the customer's facts and the step asked", async () => {
    const [sender, receiver] = [await newCustomer(gw.db.sql), await newCustomer(gw.db.sql)];
    const [from, to] = [await openAccount(gw.db.sql, sender, '600000.00'), await openAccount(gw.db.sql, receiver, '0')];
    expect((await gw.request(TRANSFER, { token: await gw.customerToken(sender), variables: transferInput(from, to, '500000.00') })).errors).toBeUndefined();
    const [alert] = await gw.db.sql<[{ id: string; kind: string }]>`select id, kind from risk_alerts where customer_id = ${sender} order by id limit 1`;
    const input = { alertId: toGlobalId('RiskAlert', alert.id), status: 'UNDER_REVIEW', reason: 'checked the source of funds' };
    const { response, events } = await recorded(`mutation Review($input: ReviewRiskAlertInput!) { reviewRiskAlert(input: $input) { status } }`, { token: compliance, variables: { input } });
    expect(response.errors).toBeUndefined();
    const decided = events.find((e) => e.action === 'riskAlert.review' && e.inTransaction)!;
    expect(decided).toMatchObject({ resourceType: 'RiskAlert', resourceIds: [alert.id], customerIds: [customerId(sender)], decision: 'ALLOW' });
    expect(decided.detail.input).toMatchObject({
      resource: { type: 'RiskAlert', id: alert.id, attributes: { id: alert.id, customerId: sender, kind: alert.kind, status: 'OPEN' } },
      args: { input: { alertId: alert.id, status: 'UNDER_REVIEW' } },
      facts: { customer: { id: sender } },
    });
  });

  it('activatePolicy: the activation, in its transaction, as kind "policy"', async () => {
    const { response, events } = await recorded(`mutation { activatePolicy(input: { name: "access", version: "2", mode: ENFORCE }) { mode } }`, { token: compliance });
    expect(response.errors).toBeUndefined();
    expect(events.find((e) => e.action === 'policy.activate' && e.inTransaction)).toMatchObject({ kind: 'policy', resourceType: 'Policy', resourceIds: ['access@2'], actor: 'officer-1', fieldPath: 'Mutation.activatePolicy' });
  });

  it('a denied mutation leaves its attempt: DENY, outside any transaction', async () => {
    const { response, events } = await recorded(`mutation { activatePolicy(input: { name: "access", version: "2", mode: ENFORCE }) { mode } }`, { token: auditor });
    expect(response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
    expect(only(events, 'policy.activate')).toMatchObject({ decision: 'DENY', inTransaction: false, actor: 'auditor-1' });
  });

  it('a mutation that fails after its decision leaves its attempt, marked failed, and nothing in the rolled-back transaction', async () => {
    const { response, events } = await recorded(TRANSFER, { token: alice.token, variables: transferInput(alice.account, bob.account, '99999999.00') });
    expect(response.errors?.[0]?.extensions.code).toBe('INSUFFICIENT_FUNDS');
    const writes = events.filter((e) => e.action === 'account.transfer');
    expect(writes.find((e) => e.resourceId === alice.account)).toMatchObject({ decision: 'ALLOW', failed: true, inTransaction: false });
    expect(writes.every((e) => e.failed && !e.inTransaction)).toBe(true);
  });

  it('a mutation that fails before deciding on its record leaves its attempt, marked failed', async () => {
    const { response, events } = await recorded(TRANSFER, { token: alice.token, variables: transferInput('999999999', bob.account, '1.00') });
    expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(only(events, 'account.transfer')).toMatchObject({ decision: 'ALLOW', failed: true, resourceIds: [] });
  });
});

describe('what records never hold', () => {
  it("no value of the customer's personal data, whatever the response carried", async () => {
    const [row] = await gw.db.sql<[{ name: string; idNumber: string; phone: string; birthDate: string }]>`
      select name, id_number, phone, birth_date::text from customers where id = ${alice.id}`;
    await gw.db.sql`update accounts set card_number = '6222021234567890123' where id = ${alice.account}`;
    const { response, events } = await recorded(`{ me { name idNumber phone email birthDate accounts { cardNumber } } }`, { token: alice.token });
    expect(response.data.me).toMatchObject({ name: row.name, idNumber: row.idNumber, phone: row.phone });
    const text = JSON.stringify(events);
    for (const value of [row.name, row.idNumber, row.phone, row.birthDate, '6222021234567890123']) expect(text).not.toContain(value);
    expect(events.length).toBeGreaterThan(0);
  });
});
