// Cooling-off periods through HTTP (regulations S17/S18): a purchase of a private WMP or private fund
// is PENDING for 24 hours with its money in the collection account; the customer may cancel it for
// a full refund, exactly once; it completes when the period is over, a private fund's only after
// its return call.

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyOf, toGlobalId } from '../../src/ids.ts';
import { eventsOf } from '../support/audit.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { newProduct, publishDisclosure } from '../support/catalogue.ts';
import { installFaultTrigger, watchWrites } from '../support/faults.ts';
import { balanceOf, book, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';
import { agePeriod, sweep } from '../support/cooling-off.ts';

let gw: TestGateway;
let privateWmp: Product;
let privateFund: Product;
let publicFund: Product;

interface Product {
  id: string;
  minAmount: string;
  collection: string;
}

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  await installFaultTrigger(gw.db.sql);
  const product = async (category: string, offering: string) => {
    const [row] = await gw.db.sql<Product[]>`
      select p.id, p.min_amount, a.id as collection from products p join accounts a on a.product_id = p.id
       where p.status = 'ONLINE' and p.category = ${category} and p.offering = ${offering} order by p.min_amount, p.id limit 1`;
    return row!;
  };
  [privateWmp, privateFund, publicFund] = [await product('WEALTH_MANAGEMENT', 'PRIVATE'), await product('FUND', 'PRIVATE'), await product('FUND', 'PUBLIC')];
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const FIELDS = 'id type status amount coolingOff { startsAt endsAt returnCallRequired returnCallAt }';
const PURCHASE = `mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { ${FIELDS} } }`;
const CANCEL = `mutation($input: CancelPurchaseInput!) { cancelPurchase(input: $input) { id type status amount } }`;
const RETURN_CALL = `mutation($input: RecordReturnCallInput!) { recordReturnCall(input: $input) { ${FIELDS} } }`;
const TRANSACTION = `query($id: ID!) { transaction(id: $id) { ${FIELDS} } }`;
const ASSESS = `mutation($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance } }`;
const ACKNOWLEDGE = `mutation($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`;

interface Investor {
  id: string;
  token: string;
  account: string;
}

const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.code;
const reasonOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.decision?.reasons?.[0]?.code;

/**
 * A C5 customer holding `balance`, confirmed a qualified investor (private products are sold to no
 * one else: the suitability policy's concern, a fixture here), who has read the products' disclosures.
 */
async function investor(balance: string): Promise<Investor> {
  const id = await newCustomer(gw.db.sql);
  const account = await openAccount(gw.db.sql, id, balance);
  const [suitability] = gw.policies.at(new Date()).policies.filter((p) => p.id.startsWith('suitability@'));
  await gw.db.sql`
    insert into qualified_investor_confirmations (customer_id, basis, amount, evidence, confirmed_by, confirmed_at, expires_at, policy, policy_sha256)
    values (${id}, 'FINANCIAL_ASSETS', 3000000, 'asset certificate (test fixture)', 'advisor-1', now() - interval '1 day', now() + interval '300 days',
            ${suitability!.id}, ${suitability!.sha256})`;
  const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` });
  expect((await gw.request(ASSESS, { token, variables: { input: { answers: Array(10).fill(4) } } })).errors).toBeUndefined();
  const disclosures = await gw.db.sql<{ id: string }[]>`
    select id from disclosures where product_id in (${privateWmp.id}, ${privateFund.id}, ${publicFund.id}) and published_at <= now()`;
  for (const d of disclosures) await gw.request(ACKNOWLEDGE, { token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
  return { id, token, account };
}

async function buy(who: Investor, product: Product): Promise<any> {
  const response = await gw.request(PURCHASE, {
    token: who.token,
    variables: { input: { productId: toGlobalId('Product', product.id), accountId: toGlobalId('Account', who.account), amount: product.minAmount, idempotencyKey: randomUUID() } },
  });
  expect(response.errors).toBeUndefined();
  return response.data.purchaseProduct;
}

const cancel = (who: Investor, transactionId: string, idempotencyKey: string = randomUUID()) =>
  gw.request(CANCEL, { token: who.token, variables: { input: { transactionId, idempotencyKey } } });

const key = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

/** An advisor of the institution that services the test customers (newCustomer's). */
async function advisor(): Promise<string> {
  const [institution] = await gw.db.sql<{ id: string }[]>`select min(id)::text as id from institutions`;
  return gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', institution!.id), sub: 'advisor-1' });
}

/** Time travel: the purchase's cooling-off period moved `hours` into the past. */
const age = (transactionId: string, hours: number) => agePeriod(gw, key(transactionId), hours);

const positionOf = async (who: Investor, product: Product) => {
  const [row] = await gw.db.sql<{ amount: string }[]>`select amount from positions where customer_id = ${who.id} and product_id = ${product.id}`;
  return row?.amount ?? null;
};

describe('buying a private product', () => {
  it('is PENDING for 24 hours: the money is in the collection account, the position not yet credited', async () => {
    const who = await investor('2000000.00');
    const collectionBefore = await balanceOf(gw.db.sql, privateWmp.collection);
    const bought = await buy(who, privateWmp);
    expect(bought).toMatchObject({ type: 'PURCHASE', status: 'PENDING', amount: privateWmp.minAmount, coolingOff: { returnCallRequired: false, returnCallAt: null } });
    expect(Date.parse(bought.coolingOff.endsAt) - Date.parse(bought.coolingOff.startsAt)).toBe(24 * 3_600_000);
    // the period names the cooling-off version whose terms it runs under
    const [coolingOff] = gw.policies.at(new Date()).policies.filter((p) => p.id.startsWith('cooling-off@'));
    expect(await gw.db.sql`select policy from cooling_off_periods where transaction_id = ${key(bought.id)}`).toEqual([{ policy: coolingOff!.id }]);
    expect(await positionOf(who, privateWmp)).toBeNull();
    const [{ expected }] = await gw.db.sql<[{ expected: string }]>`select (${collectionBefore}::numeric + ${privateWmp.minAmount}::numeric)::text as expected`;
    expect(await balanceOf(gw.db.sql, privateWmp.collection)).toBe(expected);
  });

  it('needs a return call for a private fund, and opens no period for a public one', async () => {
    const who = await investor('2000000.00');
    expect(await buy(who, privateFund)).toMatchObject({ status: 'PENDING', coolingOff: { returnCallRequired: true } });
    const publicPurchase = await buy(who, publicFund);
    expect(publicPurchase).toMatchObject({ status: 'COMPLETED', coolingOff: null });
    expect(await positionOf(who, publicFund)).toBe(publicFund.minAmount);
  });
});

describe('cancelling within the period', () => {
  it('refunds the full amount with a REVERSAL, and the purchase becomes REVERSED', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    const requestId = `t-${randomUUID()}`;
    const refund = await gw.request(CANCEL, { token: who.token, headers: { 'x-request-id': requestId }, variables: { input: { transactionId: bought.id, idempotencyKey: randomUUID() } } });
    expect(refund.errors).toBeUndefined();
    expect(refund.data.cancelPurchase).toMatchObject({ type: 'REVERSAL', status: 'COMPLETED', amount: privateWmp.minAmount });
    // the decision, recorded with the purchase it cancels
    const decided = (await eventsOf(gw, requestId)).find((e) => e.action === 'transaction.cancel' && e.inTransaction);
    expect(decided?.detail.input).toMatchObject({ resource: { type: 'Transaction', id: key(bought.id) }, args: { input: { transactionId: key(bought.id) } } });
    expect(await balanceOf(gw.db.sql, who.account)).toBe('2000000.00');
    expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('REVERSED');
    expect(await positionOf(who, privateWmp)).toBeNull();
  });

  it('answers a retry with the same key with the same refund, also when sent at once, and refunds once', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    const idempotencyKey = randomUUID();
    const responses = await Promise.all(Array.from({ length: 5 }, () => cancel(who, bought.id, idempotencyKey)));
    const refunds = new Set(responses.filter((r) => r.data?.cancelPurchase).map((r) => r.data.cancelPurchase.id));
    expect(refunds.size).toBe(1);
    for (const r of responses) if (!r.data?.cancelPurchase) expect(codeOf(r)).toBe('IDEMPOTENCY_IN_PROGRESS');
    const again = await cancel(who, bought.id, idempotencyKey);
    expect(again.data.cancelPurchase.id).toBe([...refunds][0]);
    expect(await balanceOf(gw.db.sql, who.account)).toBe('2000000.00');
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from transactions where reverses_id = ${key(bought.id)}`;
    expect(n).toBe(1);
  });

  it('refuses a second cancellation under a new key: the purchase is no longer in its period', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    expect((await cancel(who, bought.id)).errors).toBeUndefined();
    const second = await cancel(who, bought.id);
    expect(codeOf(second)).toBe('POLICY_DENIED');
    expect(reasonOf(second)).toBe('NOT_IN_COOLING_OFF');
    expect(second.errors?.[0]?.extensions.decision.policy).toBe('cooling-off@1');
  });

  it("treats another customer's purchase exactly like one that does not exist", async () => {
    const who = await investor('2000000.00');
    const mallory = await investor('100.00');
    const bought = await buy(who, privateWmp);
    const stolen = await cancel(mallory, bought.id);
    const missing = await cancel(mallory, toGlobalId('Transaction', '999999999'));
    expect(stolen.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.transactionId' });
    expect(stolen.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    expect(await balanceOf(gw.db.sql, who.account)).not.toBe('2000000.00');
  });

  it('refuses a key used to cancel one purchase for cancelling another with IDEMPOTENCY_CONFLICT', async () => {
    const who = await investor('2000000.00');
    const [first, second] = [await buy(who, privateWmp), await buy(who, privateWmp)];
    const idempotencyKey = randomUUID();
    expect((await cancel(who, first.id, idempotencyKey)).errors).toBeUndefined();
    const reused = await cancel(who, second.id, idempotencyKey);
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: second.id } })).data.transaction.status).toBe('PENDING');
  });

  it('answers INSUFFICIENT_FUNDS when the collection account cannot pay the refund, checked under the locks before anything is written', async () => {
    const who = await investor('2000000.00');
    // a product of the private WMP's kind whose collection account is newer than the buyer's account
    const [like] = await gw.db.sql<{ category: string; issuerId: string; distributorId: string; riskLevel: string }[]>`
      select category, issuer_id, distributor_id, risk_level from products where id = ${privateWmp.id}`;
    const productKey = await newProduct(gw.db.sql, { ...like!, offering: 'PRIVATE', minAmount: '1000.00' });
    const kinds = await gw.db.sql<{ kind: string }[]>`select distinct kind from disclosures where product_id = ${privateWmp.id} and kind <> 'RISK_DISCLOSURE'`;
    for (const { kind } of kinds) await publishDisclosure(gw.db.sql, productKey, kind, 1);
    const disclosures = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${productKey}`;
    for (const d of disclosures) await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
    const [collection] = await gw.db.sql<{ id: string }[]>`select id from accounts where product_id = ${productKey}`;
    const bought = await buy(who, { id: productKey, minAmount: '1000.00', collection: collection!.id });
    expect(bought.status).toBe('PENDING');
    const sink = await newCustomer(gw.db.sql);
    const parked = await openAccount(gw.db.sql, sink, '0');
    await book(gw.db.sql, { type: 'TRANSFER', customerId: sink, from: collection!.id, to: parked, amount: '0.01' });
    try {
      const writes = await watchWrites(gw.db.sql, who.id);
      expect(codeOf(await cancel(who, bought.id))).toBe('INSUFFICIENT_FUNDS');
      expect(await writes.attempts()).toBe(0);
      expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('PENDING');
    } finally {
      await book(gw.db.sql, { type: 'TRANSFER', customerId: sink, from: parked, to: collection!.id, amount: '0.01' });
    }
  });

  it('refuses to cancel a purchase without a period (a public fund, a transfer) with NOT_IN_COOLING_OFF', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, publicFund);
    const refused = await cancel(who, bought.id);
    expect(reasonOf(refused)).toBe('NOT_IN_COOLING_OFF');
    expect(await positionOf(who, publicFund)).toBe(publicFund.minAmount);
  });
});

describe('after the period', () => {
  it('refuses to cancel a private WMP purchase once its period is over, and the sweep completes it: the position is credited once', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    await age(bought.id, 25);
    const late = await cancel(who, bought.id);
    expect(codeOf(late)).toBe('POLICY_DENIED');
    expect(reasonOf(late)).toBe('COOLING_OFF_ENDED');
    // two instances sweeping at once complete it once
    const swept = await Promise.all([sweep(gw), sweep(gw)]);
    expect(swept.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await sweep(gw)).toBe(0);
    expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('COMPLETED');
    expect(await positionOf(who, privateWmp)).toBe(privateWmp.minAmount);
  });

  it('records each purchase the sweep completes in the audit trail: a transaction record of the sweep, kept ten years', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    await age(bought.id, 25);
    expect(await sweep(gw)).toBe(1);
    const key = keyOf(bought.id, 'Transaction');
    const records = await gw.db.sql<{ action: string; kind: string; actor: string; decision: string; inTransaction: boolean; years: number }[]>`
      select action, kind, actor, decision, in_transaction, extract(year from age(retain_until, at))::int as years
        from audit_events where ${key} = any(resource_ids) and action = 'transaction.complete'`;
    expect(records).toEqual([{ action: 'transaction.complete', kind: 'transaction', actor: 'fingate:cooling-off-sweep', decision: 'ALLOW', inTransaction: true, years: 10 }]);
  });

  it('completes nothing when its audit record cannot be written, and completes it on the next run', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    await age(bought.id, 25);
    await gw.asOwner(async (sql) => {
      await sql`create function refuse_sweep() returns trigger language plpgsql as $$
                begin if new.action = 'transaction.complete' then raise exception 'audit store unavailable'; end if; return new; end $$`;
      await sql`create trigger refuse_sweep before insert on audit_events for each row execute function refuse_sweep()`;
    });
    try {
      await expect(sweep(gw)).rejects.toThrow();
      expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('PENDING');
      expect(await positionOf(who, privateWmp)).toBeNull();
    } finally {
      await gw.asOwner(async (sql) => void (await sql`drop function refuse_sweep() cascade`));
    }
    expect(await sweep(gw)).toBe(1);
    expect(await positionOf(who, privateWmp)).toBe(privateWmp.minAmount);
  });

  it('leaves a purchase whose period is still running to the sweep of a later day', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateWmp);
    await sweep(gw);
    expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('PENDING');
  });

  it('completes a private fund purchase only after its return call, which may not be made during the period (S18)', async () => {
    const who = await investor('2000000.00');
    const staff = await advisor();
    const bought = await buy(who, privateFund);
    const early = await gw.request(RETURN_CALL, { token: staff, variables: { input: { transactionId: bought.id } } });
    expect(reasonOf(early)).toBe('RETURN_CALL_DURING_COOLING_OFF');
    await age(bought.id, 25);
    // over, but not called: the sweep leaves it, and the customer may still withdraw
    await sweep(gw);
    expect((await gw.request(TRANSACTION, { token: who.token, variables: { id: bought.id } })).data.transaction.status).toBe('PENDING');
    const called = await gw.request(RETURN_CALL, { token: staff, variables: { input: { transactionId: bought.id } } });
    expect(called.errors).toBeUndefined();
    expect(called.data.recordReturnCall).toMatchObject({ status: 'COMPLETED', coolingOff: { returnCallRequired: true } });
    expect(called.data.recordReturnCall.coolingOff.returnCallAt).not.toBeNull();
    expect(await positionOf(who, privateFund)).toBe(privateFund.minAmount);
    // a repeated call changes nothing
    const again = await gw.request(RETURN_CALL, { token: staff, variables: { input: { transactionId: bought.id } } });
    expect(again.data.recordReturnCall).toEqual(called.data.recordReturnCall);
    expect(await positionOf(who, privateFund)).toBe(privateFund.minAmount);
    expect(reasonOf(await cancel(who, bought.id))).toBe('NOT_IN_COOLING_OFF');
  });

  it('lets the customer cancel a private fund purchase after the period until the return call', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateFund);
    await age(bought.id, 48);
    const refund = await cancel(who, bought.id);
    expect(refund.errors).toBeUndefined();
    expect(await balanceOf(gw.db.sql, who.account)).toBe('2000000.00');
  });

  it('lets only staff record return calls: a customer cannot confirm their own purchase', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateFund);
    await age(bought.id, 25);
    const response = await gw.request(RETURN_CALL, { token: who.token, variables: { input: { transactionId: bought.id } } });
    expect(codeOf(response)).toBe('POLICY_DENIED');
    expect(await positionOf(who, privateFund)).toBeNull();
  });
});

describe('recording a return call', () => {
  it('answers a purchase that does not exist with NOT_FOUND naming input.transactionId', async () => {
    const response = await gw.request(RETURN_CALL, { token: await advisor(), variables: { input: { transactionId: toGlobalId('Transaction', '999999999') } } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.transactionId' });
  });

  // two connections at once: the embedded database serves one at a time
  it.skipIf(!realServer)("locks no account: it is not held up by a movement of the customer's money in flight", async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateFund);
    await age(bought.id, 25);
    let locked!: () => void;
    let release!: () => void;
    const taken = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const inFlight = gw.db.sql.begin(async (tx) => {
      await tx`select id from accounts where id in (${who.account}, ${privateFund.collection}) for update`;
      locked();
      await released;
    });
    await taken;
    const call = gw.request(RETURN_CALL, { token: await advisor(), variables: { input: { transactionId: bought.id } } });
    const first = await Promise.race([call.then(() => 'recorded'), new Promise((resolve) => setTimeout(resolve, 2000, 'waiting'))]);
    release();
    await inFlight;
    expect(first).toBe('recorded');
    expect((await call).data.recordReturnCall.status).toBe('COMPLETED');
  });
});

describe('what the database refuses', () => {
  it('refuses to shorten a period below 24 hours, change its terms, or record a return call twice or during it', async () => {
    const who = await investor('2000000.00');
    const bought = await buy(who, privateFund);
    const id = key(bought.id);
    for (const statement of [
      gw.db.sql`update cooling_off_periods set ends_at = starts_at where transaction_id = ${id}`,
      gw.db.sql`update cooling_off_periods set return_call_required = false where transaction_id = ${id}`,
      gw.db.sql`update cooling_off_periods set return_call_at = starts_at, return_call_by = 'x' where transaction_id = ${id}`,
      gw.db.sql`delete from cooling_off_periods where transaction_id = ${id}`,
      gw.db.sql`update transactions set status = 'REJECTED' where id = ${id}`,
    ]) {
      await expect(statement).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|23514)$/) });
    }
  });
});
