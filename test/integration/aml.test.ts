// AML monitoring through HTTP: the aml policy (Rego) decides every movement with each side's
// same-day totals of the customers it touches, and the movement writes the alerts it obliges, each
// booked to its customer with its deadline. PBOC Order 〔2016〕No.3 Art.5 code 0503: ¥500,000.00.

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { deposit, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let compliance: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  compliance = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const TRANSFER = `mutation Transfer($input: TransferInput!) { transfer(input: $input) { id createdAt } }`;
const PURCHASE = `mutation Purchase($input: PurchaseInput!) { purchaseProduct(input: $input) { id createdAt } }`;
const REDEEM = `mutation Redeem($input: RedeemInput!) { redeemProduct(input: $input) { id createdAt } }`;
const ALERTS = `query($id: ID!) { transaction(id: $id) { riskAlerts { kind rule side dueAt customer { id } } } }`;

interface Customer {
  id: string;
  token: string;
  accounts: string[];
}

/** A new customer with one account per balance (each paid in as a DEPOSIT today), and their token. */
async function customer(...balances: string[]): Promise<Customer> {
  const id = await newCustomer(gw.db.sql);
  const accounts: string[] = [];
  for (const balance of balances) accounts.push(await openAccount(gw.db.sql, id, balance));
  return { id, token: await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` }), accounts };
}

async function transfer(from: Customer, to: Customer, amount: string, fromAccount = 0, toAccount = 0): Promise<{ id: string; createdAt: string }> {
  const response = await gw.request(TRANSFER, {
    token: from.token,
    variables: { input: { fromAccountId: toGlobalId('Account', from.accounts[fromAccount]!), toAccountId: toGlobalId('Account', to.accounts[toAccount]!), amount, idempotencyKey: randomUUID() } },
  });
  expect(response.errors).toBeUndefined();
  return response.data.transfer;
}

interface Alert {
  kind: string;
  rule: string;
  side: string | null;
  dueAt: string | null;
  customer: { id: string };
}

async function alertsOf(transactionId: string): Promise<Alert[]> {
  const response = await gw.request(ALERTS, { token: compliance, variables: { id: transactionId } });
  expect(response.errors).toBeUndefined();
  return response.data.transaction.riskAlerts;
}

const customerId = (who: Customer) => toGlobalId('Customer', who.id);

/**
 * The end of the n-th working day (Monday to Friday: the policy lists no holidays yet) after the
 * business day of `at` in Beijing (UTC+8 all year), computed independently of the policy.
 */
function workingDaysAfter(at: string, n: number): string {
  const HOUR = 3_600_000;
  const local = new Date(Date.parse(at) + 8 * HOUR);
  let day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  for (let left = n; left > 0; ) {
    day += 24 * HOUR;
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return new Date(day + 24 * HOUR - 8 * HOUR).toISOString();
}

describe('large-value transactions (0503: ¥500,000.00, single or the same day on one side)', () => {
  it('raises nothing for a transfer of ¥499,999.99, on either side', async () => {
    const alice = await customer('600000.00');
    const bob = await customer('0');
    const moved = await transfer(alice, bob, '499999.99');
    expect(await alertsOf(moved.id)).toEqual([]);
  });

  it("raises one for exactly ¥500,000.00 on the sender's outgoing side and one on the receiver's incoming side, each booked to its customer", async () => {
    const alice = await customer('600000.00');
    const bob = await customer('0');
    const moved = await transfer(alice, bob, '500000.00');
    const alerts = await alertsOf(moved.id);
    expect(alerts).toHaveLength(2);
    expect(alerts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'LARGE_VALUE', rule: '0503', side: 'OUTGOING', customer: { id: customerId(alice) } }),
        expect.objectContaining({ kind: 'LARGE_VALUE', rule: '0503', side: 'INCOMING', customer: { id: customerId(bob) } }),
      ]),
    );
  });

  it('adds up one side of the day: the transfer that brings it to ¥500,000.00 raises the alert, none before', async () => {
    const alice = await customer('300000.00', '300000.00');
    const bob = await customer('0');
    const carol = await customer('0');
    const first = await transfer(alice, bob, '300000.00');
    const second = await transfer(alice, carol, '199999.99', 1);
    const third = await transfer(alice, carol, '0.01', 1);
    expect(await alertsOf(first.id)).toEqual([]);
    expect(await alertsOf(second.id)).toEqual([]);
    // alice's outgoing side reached the threshold; bob's and carol's incoming sides did not
    expect(await alertsOf(third.id)).toEqual([expect.objectContaining({ kind: 'LARGE_VALUE', side: 'OUTGOING', customer: { id: customerId(alice) } })]);
  });

  it('never nets the two sides: what came in today does not count towards what goes out', async () => {
    // alice was paid ¥450,000 in today (a deposit: her incoming side)
    const alice = await customer('450000.00');
    const bob = await customer('0');
    const moved = await transfer(alice, bob, '100000.00');
    expect(await alertsOf(moved.id)).toEqual([]);
  });

  it("counts the receiving customer's deposits and transfers received towards their incoming side", async () => {
    const alice = await customer('200000.00');
    const dave = await customer('200000.00');
    // bob's day: ¥300,000 paid in, then ¥100,000 from alice, then ¥100,000 from dave
    const bob = await customer('300000.00');
    const fromAlice = await transfer(alice, bob, '100000.00');
    const fromDave = await transfer(dave, bob, '100000.00');
    expect(await alertsOf(fromAlice.id)).toEqual([]);
    expect(await alertsOf(fromDave.id)).toEqual([expect.objectContaining({ kind: 'LARGE_VALUE', side: 'INCOMING', customer: { id: customerId(bob) } })]);
  });

  it("counts today's deposits and a redemption on the redeemer's incoming side", async () => {
    // a deposit product: no suitability regime
    const [product] = await gw.db.sql<{ id: string }[]>`
      select id from products where status = 'ONLINE' and category = 'DEPOSIT' and min_amount <= 100 order by id limit 1`;
    const who = await customer('499000.00');
    await deposit(gw.db.sql, who.id, who.accounts[0]!, '999.99');
    const disclosures = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${product!.id} and published_at <= now()`;
    for (const d of disclosures) {
      await gw.request(`mutation($id: ID!) { acknowledgeDisclosure(input: { disclosureId: $id }) { acknowledgedAt } }`, { token: who.token, variables: { id: toGlobalId('Disclosure', d.id) } });
    }
    const input = { productId: toGlobalId('Product', product!.id), accountId: toGlobalId('Account', who.accounts[0]!), idempotencyKey: randomUUID() };
    const bought = await gw.request(PURCHASE, { token: who.token, variables: { input: { ...input, amount: '100.00' } } });
    expect(bought.errors).toBeUndefined();
    const redeemed = await gw.request(REDEEM, { token: who.token, variables: { input: { ...input, amount: '0.01', idempotencyKey: randomUUID() } } });
    expect(redeemed.errors).toBeUndefined();
    expect(await alertsOf(bought.data.purchaseProduct.id)).toEqual([]);
    expect(await alertsOf(redeemed.data.redeemProduct.id)).toEqual([expect.objectContaining({ kind: 'LARGE_VALUE', side: 'INCOMING', customer: { id: customerId(who) } })]);
  });

  it("sees every concurrent transfer into one customer's day: of two at once that reach the threshold together, one raises the alert", async () => {
    const alice = await customer('300000.00');
    const carol = await customer('300000.00');
    // two accounts of bob's: no account lock is shared by the two transfers
    const bob = await customer('0', '0');
    const moved = await Promise.all([transfer(alice, bob, '300000.00', 0, 0), transfer(carol, bob, '300000.00', 0, 1)]);
    const alerts = (await Promise.all(moved.map((m) => alertsOf(m.id)))).flat();
    // the lock on the receiving customer orders them: the second sees the first's ¥300,000
    expect(alerts).toEqual([expect.objectContaining({ kind: 'LARGE_VALUE', side: 'INCOMING', customer: { id: customerId(bob) } })]);
  });

  it('gives each alert the end of the fifth working day after its business day as its deadline', async () => {
    const alice = await customer('600000.00');
    const bob = await customer('0');
    const moved = await transfer(alice, bob, '500000.00');
    const due = workingDaysAfter(moved.createdAt, 5);
    for (const alert of await alertsOf(moved.id)) expect(alert.dueAt).toBe(due);
  });
});

describe('high frequency and structuring', () => {
  it("raises HIGH_FREQUENCY with the tenth of a customer's movements within an hour, and not with the ninth or the eleventh", async () => {
    const alice = await customer('1000.00');
    const bob = await customer('0');
    const moved: { id: string; createdAt: string }[] = [];
    for (let i = 0; i < 11; i++) moved.push(await transfer(alice, bob, '1.00'));
    const kinds = await Promise.all(moved.map(async (m) => (await alertsOf(m.id)).map((a) => a.kind)));
    expect(kinds.findIndex((k) => k.includes('HIGH_FREQUENCY'))).toBe(9);
    expect(kinds.flat().filter((k) => k === 'HIGH_FREQUENCY')).toHaveLength(1);
    const [alert] = await alertsOf(moved[9]!.id);
    expect(alert).toMatchObject({ rule: 'AML-HF-01', side: 'OUTGOING', customer: { id: customerId(alice) }, dueAt: workingDaysAfter(moved[9]!.createdAt, 5) });
  });

  it('raises SUSPICIOUS with the third movement of a day just under the threshold (structuring), booked to the customer', async () => {
    const alice = await customer('500000.00', '500000.00', '500000.00');
    const bob = await customer('0');
    const first = await transfer(alice, bob, '460000.00', 0);
    const second = await transfer(alice, bob, '499999.99', 1);
    const third = await transfer(alice, bob, '450000.00', 2);
    const suspicious = async (id: string) => (await alertsOf(id)).filter((a) => a.kind === 'SUSPICIOUS');
    expect(await suspicious(first.id)).toEqual([]);
    expect(await suspicious(second.id)).toEqual([]);
    expect(await suspicious(third.id)).toEqual([expect.objectContaining({ rule: 'AML-ST-01', side: 'OUTGOING', customer: { id: customerId(alice) }, dueAt: workingDaysAfter(third.createdAt, 5) })]);
  });
});
