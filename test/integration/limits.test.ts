import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { DEFAULT_MAX_COST } from '../../src/cost.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

const FAN_OUT = /* GraphQL */ `
  query FanOut($n: Int) {
    transactions(first: $n) { edges { node { id customer {
      transactions(first: $n) { edges { node { id customer {
        transactions(first: $n) { edges { node { id } } } } } } } } } } }
  }`;

// about 8,500 values: under the default budget once, over it three times
/** A statement a request sent, not the embedded database's poll for new policy activations. */
const requestStatement = (text: string) => !/from policy_activations/.test(text);

const PAGE = 'customers(first: 100) { edges { node { id name transactions(first: 20) { edges { node { id amount } } } } } }';

describe('the cost limit', () => {
  let gw: TestGateway;
  let staff: string;
  const statements: string[] = [];

  beforeAll(async () => {
    gw = await startGateway({ customers: 40, onStatement: (text) => void (requestStatement(text) && statements.push(text)) });
    staff = await gw.token({ roles: ['compliance'] });
  });
  afterAll(() => gw?.close());

  it('refuses the nested fan-out with BAD_USER_INPUT, HTTP 400, its cost and the limit, before any SQL runs', async () => {
    statements.length = 0;
    const response = await gw.request(FAN_OUT, { token: staff, variables: { n: 100 } });
    expect(statements).toEqual([]);
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: DEFAULT_MAX_COST });
    expect(response.errors?.[0]?.extensions.cost).toBeGreaterThan(DEFAULT_MAX_COST);
  });

  it('lets the same document through with small pages', async () => {
    const response = await gw.request(FAN_OUT, { token: staff, variables: { n: 3 } });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data.transactions.edges).toHaveLength(3);
  });

  it('answers one page of customers with their transactions, and refuses three aliased copies of it', async () => {
    const one = await gw.request(`{ ${PAGE} }`, { token: staff });
    expect(one.errors).toBeUndefined();
    expect(one.data.customers.edges.length).toBeGreaterThan(0);

    statements.length = 0;
    const three = await gw.request(`{ a: ${PAGE} b: ${PAGE} c: ${PAGE} }`, { token: staff });
    expect(statements).toEqual([]);
    expect(three.status).toBe(400);
    expect(three.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: DEFAULT_MAX_COST });
  });

  it('keeps serving everyone after a refusal', async () => {
    await gw.request(FAN_OUT, { token: staff, variables: { n: 100 } });
    const customer = await gw.customerToken('1');
    const me = await gw.request('{ me { id } }', { token: customer });
    expect(me.errors).toBeUndefined();
    expect(me.data.me.id).toBeTruthy();
  });
});

describe('configured budgets', () => {
  let gw: TestGateway;
  let staff: string;
  const statements: string[] = [];
  const TIMEOUT_MS = 500;
  const QUERY = '{ transactions(first: 5) { edges { node { id customer { name } } } } }';

  beforeAll(async () => {
    gw = await startGateway({ customers: 10, limits: { maxCost: 300, requestTimeoutMs: TIMEOUT_MS }, onStatement: (text) => void (requestStatement(text) && statements.push(text)) });
    staff = await gw.token({ roles: ['compliance'] });
  });
  afterAll(() => gw?.close());

  it('refuse a query over the configured cost, reporting that limit', async () => {
    const small = await gw.request('{ transactions(first: 10) { edges { node { id amount } } } }', { token: staff });
    expect(small.errors).toBeUndefined();
    const large = await gw.request('{ transactions(first: 100) { edges { node { id amount } } } }', { token: staff });
    expect(large.status).toBe(400);
    expect(large.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', cost: 401, limit: 300 });
  });

  const readsCustomers = (text: string) => /\bfrom\s+"?customers"?\s/i.test(text);

  /**
   * Sends `request` while a transaction holds `table`, released when the answer comes or after `ms`
   * at the latest (so that without a deadline a query would answer late, with data).
   */
  async function whileLocked<T>(table: 'transactions' | 'accounts', ms: number, request: () => Promise<T>): Promise<{ response: T; elapsed: number }> {
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    let answered!: () => void;
    const answer = new Promise<void>((resolve) => (answered = resolve));
    const holder = gw.db.sql.begin(async (tx) => {
      await tx.unsafe(`lock table ${table} in access exclusive mode`);
      locked();
      await Promise.race([answer, new Promise((resolve) => setTimeout(resolve, ms))]);
    });
    await lockTaken;
    const started = performance.now();
    const response = await request();
    const elapsed = performance.now() - started;
    answered();
    await holder;
    return { response, elapsed };
  }

  it('ends a query still running at its deadline with REQUEST_TIMEOUT, HTTP 503, and starts none of its remaining statements', async () => {
    // unhindered, the query reads the transactions, then their customers
    statements.length = 0;
    const unhindered = await gw.request(QUERY, { token: staff });
    expect(unhindered.errors).toBeUndefined();
    expect(statements.some(readsCustomers)).toBe(true);

    // a transaction holding the transactions table keeps the first statement waiting past the deadline
    statements.length = 0;
    const { response, elapsed } = await whileLocked('transactions', 3000, () => gw.request(QUERY, { token: staff }));

    expect(response.status).toBe(503);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'REQUEST_TIMEOUT', limitMs: TIMEOUT_MS });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    // the waiting statement completes once the lock goes; nothing after it runs
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statements.some(readsCustomers)).toBe(false);

    const after = await gw.request(QUERY, { token: staff });
    expect(after.errors).toBeUndefined();
  });

  it('lets a mutation waiting past the deadline run to its end and answer what happened', async () => {
    const [from] = await gw.db.sql<{ id: string; customerId: string }[]>`
      select id, customer_id from accounts where kind = 'CUSTOMER' and balance >= 10 order by id limit 1`;
    const [to] = await gw.db.sql<{ id: string }[]>`select id from accounts where kind = 'CUSTOMER' and customer_id <> ${from!.customerId} order by id limit 1`;
    const input = { fromAccountId: toGlobalId('Account', from!.id), toAccountId: toGlobalId('Account', to!.id), amount: '1.00', idempotencyKey: randomUUID() };
    const token = await gw.customerToken(from!.customerId);
    const { response, elapsed } = await whileLocked('accounts', TIMEOUT_MS + 500, () =>
      gw.request('mutation T($input: TransferInput!) { transfer(input: $input) { status amount } }', { token, variables: { input } }),
    );
    expect(elapsed).toBeGreaterThan(TIMEOUT_MS);
    expect(response.errors).toBeUndefined();
    expect(response.data.transfer).toEqual({ status: 'COMPLETED', amount: '1.00' });
  });
});
