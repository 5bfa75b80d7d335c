import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { pruneExpiredKeys } from '../../src/money/idempotency.ts';
import { postTransaction, reverseTransaction } from '../../src/money/ledger.ts';
import type { Tx } from '../../src/db/database.ts';
import { systemPermit } from '../../src/data/system.ts';
import { eventsOf } from '../support/audit.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { newProduct } from '../support/catalogue.ts';
import { installFaultTrigger, watchWrites } from '../support/faults.ts';
import { balanceOf, book, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let staff: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  await installFaultTrigger(gw.db.sql);
  staff = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());
// the oracle: after every test, every transaction balances, every balance is the sum of its
// postings, nothing is negative, positions match purchases and redemptions, every key has its result
afterEach(() => expectLedgerSound(gw.db.sql));

const TRANSACTION_FIELDS = 'id type status amount currency createdAt customer { id } product { id }';
const TRANSFER = `mutation Transfer($input: TransferInput!) { transfer(input: $input) { ${TRANSACTION_FIELDS} } }`;
const PURCHASE = `mutation Purchase($input: PurchaseInput!) { purchaseProduct(input: $input) { ${TRANSACTION_FIELDS} } }`;
const REDEEM = `mutation Redeem($input: RedeemInput!) { redeemProduct(input: $input) { ${TRANSACTION_FIELDS} } }`;
const ASSESS = `mutation Assess($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance assessedAt expiresAt expired } }`;
const ACKNOWLEDGE = `mutation Ack($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt disclosure { id version } } }`;

const account = (key: string) => toGlobalId('Account', key);
const product = (key: string) => toGlobalId('Product', key);
const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.code;
/** The database key of a transaction's global id. */
const keyOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1]!;
const correction = () => systemPermit('Account', 'correction');

/** A new customer with one account per balance, and their token. */
async function customer(...balances: string[]): Promise<{ id: string; token: string; accounts: string[] }> {
  const id = await newCustomer(gw.db.sql);
  const accounts: string[] = [];
  for (const balance of balances) accounts.push(await openAccount(gw.db.sql, id, balance));
  // a token subject of their own: idempotency keys are scoped by it
  return { id, token: await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` }), accounts };
}

function transfer(token: string, from: string, to: string, amount: unknown, idempotencyKey: string = randomUUID()) {
  return gw.request(TRANSFER, { token, variables: { input: { fromAccountId: account(from), toAccountId: account(to), amount, idempotencyKey } } });
}

async function transactionsOf(accountKey: string): Promise<number> {
  const [row] = await gw.db.sql<{ n: number }[]>`select count(*)::int as n from postings where account_id = ${accountKey}`;
  return row!.n;
}

describe('transfer', () => {
  it("moves money from the caller's account to another customer's and answers with the transaction", async () => {
    const alice = await customer('1000.00');
    const bob = await customer('0');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '250.50');
    expect(response.errors).toBeUndefined();
    expect(response.data.transfer).toMatchObject({
      type: 'TRANSFER',
      status: 'COMPLETED',
      amount: '250.50',
      currency: 'CNY',
      customer: { id: toGlobalId('Customer', alice.id) },
      product: null,
    });
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('749.50');
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('250.50');
  });

  it("refuses another customer's account exactly as one that does not exist, and moves nothing", async () => {
    const alice = await customer('100.00');
    const bob = await customer('100.00');
    const stolen = await transfer(alice.token, bob.accounts[0]!, alice.accounts[0]!, '10.00');
    const missing = await transfer(alice.token, '999999999', alice.accounts[0]!, '10.00');
    expect(stolen.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.fromAccountId' });
    expect(stolen.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    expect(stolen.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('100.00');
  });

  it('refuses a destination that is not a customer account with NOT_FOUND naming input.toAccountId', async () => {
    const alice = await customer('100.00');
    const [collection] = await gw.db.sql<{ id: string }[]>`select id from accounts where kind = 'PRODUCT' order by id limit 1`;
    for (const to of [collection!.id, '999999999']) {
      const response = await transfer(alice.token, alice.accounts[0]!, to, '10.00');
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.toAccountId' });
    }
  });

  it('refuses a destination in another currency with NOT_FOUND naming input.toAccountId, and moves nothing', async () => {
    const alice = await customer('100.00');
    const dollars = await openAccount(gw.db.sql, await newCustomer(gw.db.sql), '0', 'USD');
    const response = await transfer(alice.token, alice.accounts[0]!, dollars, '10.00');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.toAccountId' });
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
  });

  it('refuses a transfer from an account to itself with BAD_USER_INPUT naming input.toAccountId', async () => {
    const alice = await customer('100.00');
    const response = await transfer(alice.token, alice.accounts[0]!, alice.accounts[0]!, '10.00');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.toAccountId' });
  });

  it('answers INSUFFICIENT_FUNDS when the balance misses the amount by a cent, whatever the destination, and moves nothing', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    // an amount the balance does not cover says nothing about the account it was meant for
    const [collection] = await gw.db.sql<{ id: string }[]>`select id from accounts where kind = 'PRODUCT' order by id limit 1`;
    for (const to of [bob.accounts[0]!, collection!.id, '999999999']) {
      expect(codeOf(await transfer(alice.token, alice.accounts[0]!, to, '100.01'))).toBe('INSUFFICIENT_FUNDS');
    }
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
    expect(await transactionsOf(bob.accounts[0]!)).toBe(0);
    // the whole balance is covered
    expect((await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '100.00')).errors).toBeUndefined();
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('0.00');
  });

  it.each([
    ['a negative number', -5],
    ['a negative string', '-5'],
    ['a float number', 0.1],
    ['1e309', '1e309'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['letters', 'abc'],
    ['three decimals', '1.001'],
    ['an empty string', ''],
    ['surrounding spaces', ' 1.00 '],
    ['a thousands separator', '1,000.00'],
    ['hexadecimal', '0x10'],
    ['10^16', '10000000000000000'],
    ['zero', '0'],
    ['zero with decimals', '0.00'],
  ])('rejects an amount of %s with BAD_USER_INPUT naming input.amount, and moves nothing', async (_case, amount) => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, amount);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    expect(await transactionsOf(bob.accounts[0]!)).toBe(0);
  });

  it.each([
    ['not provided', {}],
    ['null', { input: null }],
  ])('refuses a required variable %s with BAD_USER_INPUT naming it, and moves nothing', async (_case, variables) => {
    const alice = await customer('100.00');
    const response = await gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, { token: alice.token, variables });
    expect(response.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input' })]);
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
  });

  it.each([['0.1', '0.10'], ['5', '5.00'], ['0.01', '0.01'], ['9999999999999999.99', null]])(
    'accepts the decimal string %s',
    async (amount, moved) => {
      const alice = await customer('100.00');
      const bob = await customer('0');
      const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, amount);
      if (moved === null) {
        expect(codeOf(response)).toBe('INSUFFICIENT_FUNDS'); // well-formed, just more than there is
      } else {
        expect(response.errors).toBeUndefined();
        expect(response.data.transfer.amount).toBe(moved);
      }
    },
  );
});

describe('idempotency keys', () => {
  it('answers a retry with the same key and input with the same body, and moves the money once', async () => {
    const alice = await customer('1000.00');
    const bob = await customer('0');
    const key = randomUUID();
    const first = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '12.50', key);
    // the same amount written differently is the same request
    const retry = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '12.5', key);
    expect(first.errors).toBeUndefined();
    expect(retry).toEqual(first);
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('987.50');
    expect(await transactionsOf(bob.accounts[0]!)).toBe(1);
  });

  it('runs 20 concurrent requests with one key as one movement, and answers each with its transaction', async () => {
    const alice = await customer('1000.00');
    const bob = await customer('0');
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 20 }, () => transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '10.00', key)));
    const ids = new Set(responses.filter((r) => r.data?.transfer).map((r) => r.data.transfer.id));
    expect(ids.size).toBe(1);
    // a duplicate either waits for the first and replays it, or (after 5 s) is told to retry
    for (const r of responses) if (!r.data?.transfer) expect(codeOf(r)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(await transactionsOf(bob.accounts[0]!)).toBe(1);
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('990.00');
  });

  it('refuses the same key with a different input with IDEMPOTENCY_CONFLICT, and moves nothing more', async () => {
    const alice = await customer('1000.00');
    const bob = await customer('0');
    const carol = await customer('0');
    const key = randomUUID();
    expect((await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '10.00', key)).errors).toBeUndefined();
    for (const response of [
      await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '11.00', key),
      await transfer(alice.token, alice.accounts[0]!, carol.accounts[0]!, '10.00', key),
    ]) {
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    }
    // another operation under the same key is a different request too
    const [online] = await gw.db.sql<{ id: string }[]>`select id from products where status = 'ONLINE' order by min_amount, id limit 1`;
    const purchase = await gw.request(PURCHASE, {
      token: alice.token,
      variables: { input: { productId: product(online!.id), accountId: account(alice.accounts[0]!), amount: '10.00', idempotencyKey: key } },
    });
    expect(codeOf(purchase)).toBe('IDEMPOTENCY_CONFLICT');
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('990.00');
  });

  it("scopes keys per principal: another customer's identical key is a new request, and never reveals the first", async () => {
    const alice = await customer('100.00');
    const mallory = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    const first = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '10.00', key);
    // the very same request under another principal is not a replay: the account is not theirs
    const replayed = await transfer(mallory.token, alice.accounts[0]!, bob.accounts[0]!, '10.00', key);
    expect(replayed.data).toBeNull();
    expect(codeOf(replayed)).toBe('NOT_FOUND');
    // and their own request under the same key executes
    const own = await transfer(mallory.token, mallory.accounts[0]!, bob.accounts[0]!, '10.00', key);
    expect(own.errors).toBeUndefined();
    expect(own.data.transfer.id).not.toBe(first.data.transfer.id);
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('20.00');
  });

  it('answers a replay only to a caller who may still act on the account, even under the same token subject', async () => {
    const alice = await customer('100.00');
    const mallory = await customer('100.00');
    const bob = await customer('0');
    // two customers behind one subject ("test-customer"): the key's scope alone cannot tell them apart
    const [aliceShared, malloryShared] = [await gw.customerToken(alice.id), await gw.customerToken(mallory.id)];
    const key = randomUUID();
    expect((await transfer(aliceShared, alice.accounts[0]!, bob.accounts[0]!, '10.00', key)).errors).toBeUndefined();
    const replayed = await transfer(malloryShared, alice.accounts[0]!, bob.accounts[0]!, '10.00', key);
    expect(replayed.data).toBeNull();
    expect(codeOf(replayed)).toBe('NOT_FOUND');
  });

  it('stores nothing for a refused request: the same key then executes the corrected one', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    expect(codeOf(await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '500.00', key))).toBe('INSUFFICIENT_FUNDS');
    expect(codeOf(await transfer(alice.token, alice.accounts[0]!, '999999999', '50.00', key))).toBe('NOT_FOUND');
    const corrected = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '50.00', key);
    expect(corrected.errors).toBeUndefined();
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('50.00');
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['10 000 characters long', 'k'.repeat(10_000)],
    ['holding a control character', 'key\u0000one'],
    ['holding a newline', 'key\none'],
    ['holding a non-ASCII character', 'clé'],
  ])('refuses a key %s with BAD_USER_INPUT naming input.idempotencyKey', async (_case, key) => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
    expect(await transactionsOf(bob.accounts[0]!)).toBe(0);
  });

  it('requires the key and the amount: a request without one is refused before it runs, and moves nothing', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const input = { fromAccountId: account(alice.accounts[0]!), toAccountId: account(bob.accounts[0]!), amount: '1.00', idempotencyKey: randomUUID() };
    for (const [missing, field] of [
      [{ ...input, idempotencyKey: undefined }, 'input.idempotencyKey'],
      [{ ...input, amount: null }, 'input.amount'],
    ] as const) {
      const response = await gw.request(TRANSFER, { token: alice.token, variables: { input: missing } });
      expect(response.data).toBeUndefined();
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await transactionsOf(bob.accounts[0]!)).toBe(0);
  });

  it('accepts a key of 255 printable characters, spaces and symbols included', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = ` ~!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}`.padEnd(255, 'x');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    expect(response.errors).toBeUndefined();
  });

  it('keeps a key with its result for at least 24 hours', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    const [row] = await gw.db.sql<{ kept: boolean; transactionId: string }[]>`
      select expires_at - created_at >= interval '24 hours' as kept, transaction_id from idempotency_keys where key = ${key}`;
    expect(row!.kept).toBe(true);
    expect(toGlobalId('Transaction', row!.transactionId)).toBe(response.data.transfer.id);
  });

  it('prunes the keys whose retention has expired, and only those', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    await gw.db.sql`
      insert into idempotency_keys (principal_id, key, operation, fingerprint, transaction_id, created_at, expires_at)
      select principal_id, ${`${key}-aged`}, operation, fingerprint, transaction_id, now() - interval '8 days', now() - interval '1 day'
        from idempotency_keys where key = ${key}`;
    expect(await pruneExpiredKeys(gw.app)).toBe(1);
    expect((await gw.db.sql<{ key: string }[]>`select key from idempotency_keys where key like ${`${key}%`}`).map((r) => r.key)).toEqual([key]);
  });

  it('treats a key whose retention has expired as a new request', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    const first = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    // as if it had been made eight days ago (rows are immutable while live, so make an expired twin)
    const [stored] = await gw.db.sql<{ principalId: string }[]>`select principal_id from idempotency_keys where key = ${key}`;
    const aged = `${key}-aged`;
    await gw.db.sql`
      insert into idempotency_keys (principal_id, key, operation, fingerprint, transaction_id, created_at, expires_at)
      select principal_id, ${aged}, operation, fingerprint, transaction_id, now() - interval '8 days', now() - interval '1 day'
        from idempotency_keys where key = ${key}`;
    const again = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', aged);
    expect(again.errors).toBeUndefined();
    expect(again.data.transfer.id).not.toBe(first.data.transfer.id);
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('2.00');
    const [renewed] = await gw.db.sql<{ live: boolean }[]>`
      select expires_at > now() as live from idempotency_keys where principal_id = ${stored!.principalId} and key = ${aged}`;
    expect(renewed!.live).toBe(true);
  });
});

describe('concurrent movements', () => {
  it('lets exactly one of two parallel withdrawals of 80 from a balance of 100 succeed', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const carol = await customer('0');
    const responses = await Promise.all([
      transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '80.00'),
      transfer(alice.token, alice.accounts[0]!, carol.accounts[0]!, '80.00'),
    ]);
    expect(responses.filter((r) => r.data?.transfer)).toHaveLength(1);
    expect(responses.map(codeOf).filter(Boolean)).toEqual(['INSUFFICIENT_FUNDS']);
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('20.00');
  });

  it('runs 200 A→B and B→A transfer pairs at once without a deadlock, and conserves the money', async () => {
    const a = await customer('1000.00');
    const b = await customer('1000.00');
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => [
        transfer(a.token, a.accounts[0]!, b.accounts[0]!, `${1 + (i % 5)}.00`),
        transfer(b.token, b.accounts[0]!, a.accounts[0]!, `${1 + (i % 5)}.00`),
      ]).flat(),
    );
    expect(responses.filter((r) => r.errors).map(codeOf)).toEqual([]);
    expect(await balanceOf(gw.db.sql, a.accounts[0]!)).toBe('1000.00');
    expect(await balanceOf(gw.db.sql, b.accounts[0]!)).toBe('1000.00');
    expect(await transactionsOf(a.accounts[0]!)).toBe(401);
  });
});

describe('purchase and redemption', () => {
  let online: { id: string; minAmount: string };

  beforeAll(async () => {
    const [found] = await gw.db.sql<{ id: string; minAmount: string }[]>`
      select id, min_amount from products where status = 'ONLINE' and risk_level = 'R1' and min_amount >= 100 order by min_amount, id limit 1`;
    online = found!;
  });

  /** A customer holding `balance`, assessed with `answers` (C5 by default), who has read the product's disclosures. */
  async function investor(balance: string, answers: number[] = Array(10).fill(4), productKey = online.id) {
    const who = await customer(balance);
    await gw.request(ASSESS, { token: who.token, variables: { input: { answers } } });
    const disclosures = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${productKey} and published_at <= now()`;
    for (const d of disclosures) await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
    return who;
  }

  const buy = (who: { token: string; accounts: string[] }, amount: string, productKey = online.id, idempotencyKey = randomUUID(), confirmRiskMismatch?: boolean, confirmedWarningSha256?: string) =>
    gw.request(PURCHASE, {
      token: who.token,
      variables: { input: { productId: product(productKey), accountId: account(who.accounts[0]!), amount, idempotencyKey, confirmRiskMismatch, confirmedWarningSha256 } },
    });
  const sell = (who: { token: string; accounts: string[] }, amount: string, productKey = online.id, idempotencyKey = randomUUID()) =>
    gw.request(REDEEM, { token: who.token, variables: { input: { productId: product(productKey), accountId: account(who.accounts[0]!), amount, idempotencyKey } } });
  const positionOf = async (customerId: string) => {
    const [row] = await gw.db.sql<{ amount: string }[]>`select amount from positions where customer_id = ${customerId} and product_id = ${online.id}`;
    return row?.amount ?? null;
  };

  it("buys a product: the money goes to the product's collection account and the position grows", async () => {
    const who = await investor('100000.00');
    const [collection] = await gw.db.sql<{ id: string; balance: string }[]>`select id, balance from accounts where product_id = ${online.id}`;
    const amount = online.minAmount;
    const response = await buy(who, amount);
    expect(response.errors).toBeUndefined();
    expect(response.data.purchaseProduct).toMatchObject({ type: 'PURCHASE', status: 'COMPLETED', amount, product: { id: product(online.id) } });
    expect(await positionOf(who.id)).toBe(amount);
    const after = await balanceOf(gw.db.sql, collection!.id);
    const [{ expected }] = await gw.db.sql<[{ expected: string }]>`select (${collection!.balance}::numeric + ${amount}::numeric)::text as expected`;
    expect(after).toBe(expected);
  });

  it('redeems up to the position, and refuses more with INSUFFICIENT_FUNDS naming input.amount', async () => {
    const who = await investor('100000.00');
    expect((await buy(who, online.minAmount)).errors).toBeUndefined();
    const [{ half }] = await gw.db.sql<[{ half: string }]>`select round(${online.minAmount}::numeric / 2, 2)::text as half`;
    const first = await sell(who, half);
    expect(first.errors).toBeUndefined();
    expect(first.data.redeemProduct).toMatchObject({ type: 'REDEMPTION', amount: half, product: { id: product(online.id) } });
    const [{ rest }] = await gw.db.sql<[{ rest: string }]>`select (${online.minAmount}::numeric - ${half}::numeric)::text as rest`;
    expect(await positionOf(who.id)).toBe(rest);
    const tooMuch = await sell(who, online.minAmount);
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'input.amount' });
    expect((await sell(who, rest)).errors).toBeUndefined();
    expect(await positionOf(who.id)).toBe('0.00');
    expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('100000.00');
  });

  it('refuses to redeem a product the customer does not hold with INSUFFICIENT_FUNDS', async () => {
    const who = await investor('100.00');
    expect(codeOf(await sell(who, '1.00'))).toBe('INSUFFICIENT_FUNDS');
  });

  it("refuses an amount below the product's minimum with BAD_USER_INPUT naming input.amount", async () => {
    const who = await investor('100000.00');
    const [{ below }] = await gw.db.sql<[{ below: string }]>`select (${online.minAmount}::numeric - 0.01)::text as below`;
    const response = await buy(who, below);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });
  });

  it('refuses a product that is not ONLINE with PRODUCT_NOT_AVAILABLE, and moves nothing', async () => {
    // a fund whose licences and disclosures would let it be sold, were it on sale
    const [closed] = await gw.db.sql<{ id: string; minAmount: string }[]>`
      select id, min_amount from products where status <> 'ONLINE' and category = 'FUND' order by id limit 1`;
    const who = await investor('100000.00', undefined, closed!.id);
    const response = await buy(who, closed!.minAmount, closed!.id);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productId' });
    expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('100000.00');
  });

  it('refuses to redeem a product that does not exist with NOT_FOUND', async () => {
    const who = await investor('100.00');
    const response = await sell(who, '1.00', '999999999');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.productId' });
  });

  it('refuses a purchase or redemption repeated under its key with another input with IDEMPOTENCY_CONFLICT, and deals once', async () => {
    const who = await investor('100000.00');
    const key = randomUUID();
    expect((await buy(who, online.minAmount, online.id, key)).errors).toBeUndefined();
    const [{ more }] = await gw.db.sql<[{ more: string }]>`select (${online.minAmount}::numeric + 0.01)::text as more`;
    for (const retry of [await buy(who, more, online.id, key), await buy(who, online.minAmount, online.id, key, true)]) {
      expect(retry.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    }
    expect(await positionOf(who.id)).toBe(online.minAmount);

    const sold = randomUUID();
    expect((await sell(who, '1.00', online.id, sold)).errors).toBeUndefined();
    expect((await sell(who, '2.00', online.id, sold)).errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    const [{ rest }] = await gw.db.sql<[{ rest: string }]>`select (${online.minAmount}::numeric - 1)::text as rest`;
    expect(await positionOf(who.id)).toBe(rest);
  });

  it('raises the alert the suitability decision obliges (a confirmed purchase above tolerance), with the transaction', async () => {
    const [fund] = await gw.db.sql<{ id: string; minAmount: string }[]>`
      select id, min_amount from products
       where status = 'ONLINE' and category = 'FUND' and risk_level in ('R3', 'R4', 'R5') and min_amount <= 10000
       order by min_amount, id limit 1`;
    const who = await investor('100000.00', [2, 2, 2, 2, 2, 1, 1, 1, 1, 1], fund!.id); // 15 points: C2, up to R2
    const response = await buy(who, fund!.minAmount, fund!.id, randomUUID(), true);
    expect(response.errors).toBeUndefined();
    const alerts = await gw.request(`query($id: ID!) { transaction(id: $id) { riskAlerts { kind status } } }`, {
      token: staff,
      variables: { id: response.data.purchaseProduct.id },
    });
    expect(alerts.data.transaction.riskAlerts).toEqual([{ kind: 'SUITABILITY_OVERRIDE', status: 'OPEN' }]);
  });

  describe('the special written risk warning a customer confirms (适当性办法 第19条)', () => {
    const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    let fund: { id: string; minAmount: string };

    beforeAll(async () => {
      const [found] = await gw.db.sql<{ id: string; minAmount: string }[]>`
        select id, min_amount from products
         where status = 'ONLINE' and category = 'FUND' and offering = 'PUBLIC' and risk_level in ('R3', 'R4', 'R5') and min_amount <= 10000
         order by min_amount, id limit 1`;
      fund = found!;
    });

    /** A C2 customer (up to R2) and the warning the fund's purchase asks them to confirm. */
    async function warned(): Promise<{ who: Awaited<ReturnType<typeof investor>>; warning: { code: string; message: string; ref?: string } }> {
      const who = await investor('100000.00', [2, 2, 2, 2, 2, 1, 1, 1, 1, 1], fund.id);
      const refused = await buy(who, fund.minAmount, fund.id);
      expect(codeOf(refused)).toBe('POLICY_DENIED');
      const warning = refused.errors![0]!.extensions.decision.confirm.find((c: { code: string }) => c.code === 'CONFIRM_RISK_MISMATCH');
      expect(warning).toBeDefined();
      return { who, warning };
    }

    const confirmations = (transactionId: string) =>
      gw.db.sql`select code, policy, policy_sha256, warning, warning_sha256, warning_ref, echoed from purchase_confirmations
                 where transaction_id = ${Buffer.from(transactionId, 'base64url').toString().split(':')[1]!}`;

    it('records with the purchase the text confirmed, its sha256 and the suitability version that asked for it', async () => {
      const { who, warning } = await warned();
      const response = await buy(who, fund.minAmount, fund.id, randomUUID(), true);
      expect(response.errors).toBeUndefined();
      const [suitability] = gw.policies.at(new Date()).policies.filter((p) => p.id.startsWith('suitability@'));
      expect(await confirmations(response.data.purchaseProduct.id)).toEqual([
        {
          code: 'CONFIRM_RISK_MISMATCH',
          policy: suitability!.id,
          policySha256: suitability!.sha256,
          warning: warning.message,
          warningSha256: sha256(warning.message),
          // the warning's version id, where the suitability version names its texts
          warningRef: warning.ref ?? null,
          echoed: false,
        },
      ]);
    });

    it('records that the client echoed the sha256 of the text it showed', async () => {
      const { who, warning } = await warned();
      const response = await buy(who, fund.minAmount, fund.id, randomUUID(), true, sha256(warning.message).toUpperCase());
      expect(response.errors).toBeUndefined();
      expect(await confirmations(response.data.purchaseProduct.id)).toMatchObject([{ warningSha256: sha256(warning.message), echoed: true }]);
    });

    it('refuses a confirmation of another text with the warning in force, and moves nothing', async () => {
      const { who, warning } = await warned();
      const stale = await buy(who, fund.minAmount, fund.id, randomUUID(), true, sha256(`${warning.message} (an older text)`));
      expect(codeOf(stale)).toBe('POLICY_DENIED');
      expect(stale.errors![0]!.extensions.decision.confirm).toEqual([warning]);
      expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('100000.00');
    });

    it('refuses an echo that is not a sha256 naming input.confirmedWarningSha256', async () => {
      const { who } = await warned();
      const response = await buy(who, fund.minAmount, fund.id, randomUUID(), true, 'not-a-digest');
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.confirmedWarningSha256' });
    });

    it('decides a purchase sent without a confirmation once: its refusal is one decision in the trail', async () => {
      const { who } = await warned();
      const requestId = `t-${randomUUID()}`;
      const refused = await gw.request(PURCHASE, {
        token: who.token,
        headers: { 'x-request-id': requestId },
        variables: { input: { productId: product(fund.id), accountId: account(who.accounts[0]!), amount: fund.minAmount, idempotencyKey: randomUUID() } },
      });
      expect(codeOf(refused)).toBe('POLICY_DENIED');
      const decisions = (await eventsOf(gw, requestId)).filter((e) => e.action === 'product.purchase' && e.resourceId !== null);
      expect(decisions.map((e) => e.decision)).toEqual(['DENY']);
    });

    it('records nothing when nothing needed confirming', async () => {
      const who = await investor('100000.00');
      const response = await buy(who, online.minAmount, online.id, randomUUID(), true);
      expect(response.errors).toBeUndefined();
      expect(await confirmations(response.data.purchaseProduct.id)).toEqual([]);
    });
  });

  it('answers INSUFFICIENT_FUNDS for a purchase the balance does not cover, checked under the locks before anything is written', async () => {
    const who = await investor('1.00');
    const writes = await watchWrites(gw.db.sql, who.id);
    expect(codeOf(await buy(who, online.minAmount))).toBe('INSUFFICIENT_FUNDS');
    expect(await writes.attempts()).toBe(0);
    expect(await positionOf(who.id)).toBeNull();
  });

  it('answers INSUFFICIENT_FUNDS for a redemption the collection account cannot pay, checked under the locks before anything is written', async () => {
    const who = await investor('100000.00');
    expect((await buy(who, online.minAmount)).errors).toBeUndefined();
    const [collection] = await gw.db.sql<{ id: string; balance: string }[]>`select id, balance from accounts where product_id = ${online.id}`;
    const sink = await newCustomer(gw.db.sql);
    const parked = await openAccount(gw.db.sql, sink, '0');
    // the collection account's money is elsewhere for the moment
    await book(gw.db.sql, { type: 'TRANSFER', customerId: sink, from: collection!.id, to: parked, amount: collection!.balance });
    try {
      const writes = await watchWrites(gw.db.sql, who.id);
      expect(codeOf(await sell(who, '1.00'))).toBe('INSUFFICIENT_FUNDS');
      expect(await writes.attempts()).toBe(0);
      expect(await positionOf(who.id)).toBe(online.minAmount);
    } finally {
      await book(gw.db.sql, { type: 'TRANSFER', customerId: sink, from: parked, to: collection!.id, amount: collection!.balance });
    }
  });

  it("refuses another customer's account with NOT_FOUND naming input.accountId, to buy from and to redeem into", async () => {
    const who = await investor('100000.00');
    const other = await customer('100000.00');
    const theirs = { token: who.token, accounts: other.accounts };
    for (const response of [await buy(theirs, online.minAmount), await sell(theirs, '1.00')]) {
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.accountId' });
    }
    expect(await balanceOf(gw.db.sql, other.accounts[0]!)).toBe('100000.00');
  });

  it("refuses an account in another currency than the product's with BAD_USER_INPUT naming input.accountId, to buy from and to redeem into", async () => {
    const who = await investor('100000.00');
    expect((await buy(who, online.minAmount)).errors).toBeUndefined();
    const dollars = { token: who.token, accounts: [await openAccount(gw.db.sql, who.id, '0', 'USD')] };
    for (const response of [await buy(dollars, online.minAmount), await sell(dollars, '1.00')]) {
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.accountId' });
    }
    expect(await positionOf(who.id)).toBe(online.minAmount);
  });

  it('takes another echoed warning sha256 under a used key as another request: IDEMPOTENCY_CONFLICT', async () => {
    const who = await investor('100000.00');
    const key = randomUUID();
    const echo = (text: string) => createHash('sha256').update(text).digest('hex');
    expect((await buy(who, online.minAmount, online.id, key, true, echo('one text'))).errors).toBeUndefined();
    const retry = await buy(who, online.minAmount, online.id, key, true, echo('another text'));
    expect(retry.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
  });

  describe('a product of its own', () => {
    /** A new product like the one on sale, with its collection account made after `who`'s account (unless `collection` is false). */
    async function productFor(who: { token: string }, { collection = true } = {}): Promise<string> {
      const [like] = await gw.db.sql<{ category: string; issuerId: string; distributorId: string }[]>`
        select category, issuer_id, distributor_id from products where id = ${online.id}`;
      const key = await newProduct(gw.db.sql, { ...like!, minAmount: '1.00' });
      if (!collection) await gw.db.sql`delete from accounts where product_id = ${key}`;
      await gw.request(ASSESS, { token: who.token, variables: { input: { answers: Array(10).fill(4) } } });
      const disclosures = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${key}`;
      for (const d of disclosures) await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input: { disclosureId: toGlobalId('Disclosure', d.id) } } });
      return key;
    }

    it("is paid into its own collection account, however old the buyer's account is", async () => {
      const who = await customer('1000.00');
      const key = await productFor(who);
      const response = await buy(who, '10.00', key);
      expect(response.errors).toBeUndefined();
      const [collection] = await gw.db.sql<{ balance: string }[]>`select balance from accounts where product_id = ${key}`;
      expect(collection!.balance).toBe('10.00');
      expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('990.00');
    });

    it('cannot be bought without a collection account: PRODUCT_NOT_AVAILABLE naming input.productId', async () => {
      const who = await customer('1000.00');
      const key = await productFor(who, { collection: false });
      const response = await buy(who, '10.00', key);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productId' });
      expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('1000.00');
    });
  });

  describe('corrected by a reversal', () => {
    it('a purchase returns the money and takes back its position, all of it when that is all it holds', async () => {
      const who = await investor('100000.00');
      const bought = await buy(who, online.minAmount);
      const reversal = await reverseTransaction(gw.db.sql, correction(), keyOf(bought.data.purchaseProduct.id), new Date());
      expect(reversal).toMatchObject({ type: 'REVERSAL', amount: online.minAmount });
      expect(await positionOf(who.id)).toBe('0.00');
      expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe('100000.00');
    });

    it('a redemption takes the money back and gives the position back', async () => {
      const who = await investor('100000.00');
      expect((await buy(who, online.minAmount)).errors).toBeUndefined();
      const sold = await sell(who, '1.00');
      await reverseTransaction(gw.db.sql, correction(), keyOf(sold.data.redeemProduct.id), new Date());
      expect(await positionOf(who.id)).toBe(online.minAmount);
      const [{ paid }] = await gw.db.sql<[{ paid: string }]>`select (100000 - ${online.minAmount}::numeric)::text as paid`;
      expect(await balanceOf(gw.db.sql, who.accounts[0]!)).toBe(paid);
    });

    it('is refused with INSUFFICIENT_FUNDS for a purchase whose position was partly redeemed since, and changes nothing', async () => {
      const who = await investor('100000.00');
      const bought = await buy(who, online.minAmount);
      expect((await sell(who, '1.00')).errors).toBeUndefined();
      const refused = reverseTransaction(gw.db.sql, correction(), keyOf(bought.data.purchaseProduct.id), new Date());
      await expect(refused).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_FUNDS' } });
      const [{ rest }] = await gw.db.sql<[{ rest: string }]>`select (${online.minAmount}::numeric - 1)::text as rest`;
      expect(await positionOf(who.id)).toBe(rest);
    });
  });
});

describe('risk assessment', () => {
  it('scores the answers into a class, stores it, and returns the profile valid for 365 days', async () => {
    const who = await customer();
    const answers = [4, 3, 2, 2, 2, 2, 2, 2, 2, 1]; // 22 points: C3
    const response = await gw.request(ASSESS, { token: who.token, variables: { input: { answers } } });
    expect(response.errors).toBeUndefined();
    const profile = response.data.submitRiskAssessment;
    expect(profile).toMatchObject({ tolerance: 'C3', expired: false });
    expect(Date.parse(profile.expiresAt) - Date.parse(profile.assessedAt)).toBe(365 * 86_400_000);
    const me = await gw.request(`{ me { riskProfile { tolerance assessedAt expiresAt } } }`, { token: who.token });
    expect(me.data.me.riskProfile).toEqual({ tolerance: 'C3', assessedAt: profile.assessedAt, expiresAt: profile.expiresAt });
    const [row] = await gw.db.sql`select score, answers, lowest_category from risk_assessments where customer_id = ${who.id}`;
    expect(row).toEqual({ score: 22, answers, lowestCategory: false });
  });

  it('records the risk-questionnaire policy version that scored it: module@version and the file\'s sha256', async () => {
    const who = await customer();
    expect((await gw.request(ASSESS, { token: who.token, variables: { input: { answers: Array(10).fill(2) } } })).errors).toBeUndefined();
    const [row] = await gw.db.sql`select questionnaire, questionnaire_sha256 from risk_assessments where customer_id = ${who.id}`;
    expect(row).toEqual({ questionnaire: 'risk-questionnaire@1', questionnaireSha256: gw.policies.store.get('risk-questionnaire@1')!.file.sha256 });
  });

  it('places a customer who cannot bear any loss in C1, the lowest category, whatever the score', async () => {
    const who = await customer();
    const response = await gw.request(ASSESS, { token: who.token, variables: { input: { answers: [4, 4, 4, 4, 4, 4, 4, 4, 4, 0] } } });
    expect(response.data.submitRiskAssessment.tolerance).toBe('C1');
    const [row] = await gw.db.sql`select tolerance, lowest_category from risk_assessments where customer_id = ${who.id}`;
    expect(row).toEqual({ tolerance: 'C1', lowestCategory: true });
  });

  it('refuses a wrong number of answers naming input.answers, and a score an item does not offer naming input.answers[i]', async () => {
    const who = await customer();
    const short = await gw.request(ASSESS, { token: who.token, variables: { input: { answers: [1, 2, 3] } } });
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answers' });
    const bad = await gw.request(ASSESS, { token: who.token, variables: { input: { answers: [1, 2, 3, 4, 0, 1, 2, 7, 1, 1] } } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answers[7]' });
    const negative = await gw.request(ASSESS, { token: who.token, variables: { input: { answers: [1, 2, 3, 4, 0, 1, 2, 3, 1, -1] } } });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.answers[9]' });
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from risk_assessments where customer_id = ${who.id}`;
    expect(n).toBe(0);
  });

  it('gives staff, who answer for no customer, no way to submit one', async () => {
    const response = await gw.request(ASSESS, { token: staff, variables: { input: { answers: Array(10).fill(2) } } });
    expect(['POLICY_DENIED', 'NOT_FOUND']).toContain(codeOf(response));
  });
});

describe('disclosure acknowledgement', () => {
  it('records that the customer read a disclosure version once; a repeat returns the same record', async () => {
    const who = await customer();
    const [disclosure] = await gw.db.sql<{ id: string; version: number }[]>`select id, version from disclosures where published_at <= now() order by id limit 1`;
    const input = { disclosureId: toGlobalId('Disclosure', disclosure!.id) };
    const first = await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input } });
    expect(first.errors).toBeUndefined();
    expect(first.data.acknowledgeDisclosure.disclosure).toEqual({ id: input.disclosureId, version: disclosure!.version });
    const again = await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input } });
    expect(again.data).toEqual(first.data);
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from disclosure_acknowledgements where customer_id = ${who.id}`;
    expect(n).toBe(1);
  });

  it('refuses a disclosure that does not exist with NOT_FOUND naming input.disclosureId', async () => {
    const who = await customer();
    const response = await gw.request(ACKNOWLEDGE, { token: who.token, variables: { input: { disclosureId: toGlobalId('Disclosure', '999999999') } } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.disclosureId' });
  });
});

describe('what the database refuses', () => {
  it('refuses to change or remove postings, transactions, idempotency keys, alerts and assessments', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = randomUUID();
    await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '1.00', key);
    const [{ id }] = await gw.db.sql<[{ id: string }]>`select transaction_id as id from idempotency_keys where key = ${key}`;
    const [alert] = await gw.db.sql<{ id: string }[]>`select id from risk_alerts order by id limit 1`;
    const refused = [
      gw.db.sql`update postings set amount = amount * 2 where transaction_id = ${id}`,
      gw.db.sql`delete from postings where transaction_id = ${id}`,
      gw.db.sql`update transactions set amount = 2 where id = ${id}`,
      gw.db.sql`delete from transactions where id = ${id}`,
      gw.db.sql`update accounts set balance = 1000000 where id = ${alice.accounts[0]!}`,
      gw.db.sql`update idempotency_keys set transaction_id = null where key = ${key}`,
      gw.db.sql`update idempotency_keys set fingerprint = repeat('0', 64) where key = ${key}`,
      gw.db.sql`delete from idempotency_keys where key = ${key}`,
      gw.db.sql`update risk_assessments set tolerance = 'C5'`,
    ];
    if (alert) {
      refused.push(gw.db.sql`delete from risk_alerts where id = ${alert.id}`, gw.db.sql`update risk_alerts set reason = 'nothing' where id = ${alert.id}`);
    }
    for (const statement of refused) await expect(statement).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|23514)$/) });
  });

  it('corrects a transfer only by a reversing transaction: the original becomes REVERSED and the money returns', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '30.00');
    const key = keyOf(response.data.transfer.id);
    const reversal = await reverseTransaction(gw.db.sql, correction(), key, new Date());
    expect(reversal).toMatchObject({ type: 'REVERSAL', status: 'COMPLETED', amount: '30.00' });
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('0.00');
    const [original] = await gw.db.sql`select status from transactions where id = ${key}`;
    expect(original).toEqual({ status: 'REVERSED' });
    await expect(reverseTransaction(gw.db.sql, correction(), key, new Date())).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
    // a reversal is COMPLETED, and is never reversed in turn
    await expect(reverseTransaction(gw.db.sql, correction(), reversal.id, new Date())).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
  });

  it('refuses to reverse a transaction that does not exist with NOT_FOUND', async () => {
    await expect(reverseTransaction(gw.db.sql, correction(), '999999999', new Date())).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  // two connections at once: the embedded database serves one at a time
  it.skipIf(!realServer)("reverses under the customer's lock, like every movement: a reversal waits for a movement of theirs in flight", async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const key = keyOf((await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '30.00')).data.transfer.id);
    let locked!: () => void;
    let release!: () => void;
    const taken = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // the lock every movement of alice's takes first
    const inFlight = gw.db.sql.begin(async (tx) => {
      await tx`select id from customers where id = ${alice.id} for no key update`;
      locked();
      await released;
    });
    await taken;
    const reversal = reverseTransaction(gw.db.sql, correction(), key, new Date());
    const first = await Promise.race([reversal.then(() => 'reversed'), new Promise((resolve) => setTimeout(resolve, 300, 'waiting'))]);
    release();
    await inFlight;
    expect(first).toBe('waiting');
    expect(await reversal).toMatchObject({ type: 'REVERSAL', amount: '30.00' });
  });

  it('refuses postings that do not sum to zero before they reach the database: the transaction it was tried in carries on', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const entry = { type: 'TRANSFER' as const, cents: 1000n, currency: 'CNY', customerId: alice.id, productId: null, createdAt: new Date() };
    const after = await gw.db.sql.begin(async (tx) => {
      const unbalanced = [{ accountId: alice.accounts[0]!, cents: -1000n }, { accountId: bob.accounts[0]!, cents: 999n }];
      await expect(postTransaction(tx as unknown as Tx, { ...entry, postings: unbalanced })).rejects.toThrow();
      return tx<{ ok: number }[]>`select 1 as ok`;
    });
    expect(after).toEqual([{ ok: 1 }]);
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('100.00');
  });

  it('refuses to reverse a transfer the receiver has spent a cent of, with INSUFFICIENT_FUNDS, and changes nothing', async () => {
    const alice = await customer('100.00');
    const bob = await customer('0');
    const carol = await customer('0');
    const response = await transfer(alice.token, alice.accounts[0]!, bob.accounts[0]!, '30.00');
    expect((await transfer(bob.token, bob.accounts[0]!, carol.accounts[0]!, '0.01')).errors).toBeUndefined();
    const key = keyOf(response.data.transfer.id);
    await expect(reverseTransaction(gw.db.sql, correction(), key, new Date())).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_FUNDS' } });
    expect(await balanceOf(gw.db.sql, alice.accounts[0]!)).toBe('70.00');
    expect(await balanceOf(gw.db.sql, bob.accounts[0]!)).toBe('29.99');
    const [original] = await gw.db.sql`select status from transactions where id = ${key}`;
    expect(original).toEqual({ status: 'COMPLETED' });
  });
});
