import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ customers: 12 });
});
afterAll(() => gw?.close());

const QUERY = `{ products(first: 1) { totalCount } }`;
const key = new TextEncoder().encode(DEV_JWT_SECRET);
const sign = (claims: Record<string, unknown>, secret = key) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('someone').setIssuedAt().setExpirationTime('1h').sign(secret);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token whose header says anything, with a genuine HMAC-SHA256 of the secret over header and payload. */
const hmacSigned = (header: object) => {
  const signed = `${b64(header)}.${b64({ sub: 'x', roles: ['compliance'], exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${signed}.${createHmac('sha256', DEV_JWT_SECRET).update(signed).digest('base64url')}`;
};

describe('bearer tokens', () => {
  it('accepts a valid token', async () => {
    const response = await gw.request(QUERY, { token: await sign({ roles: ['compliance'] }) });
    expect(response.status).toBe(200);
    expect(response.data.products.totalCount).toBeGreaterThan(0);
  });

  it.each([
    ['missing', async () => undefined],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', roles: ['compliance'], exp: 4102444800 })}.`],
    ['expired', async () => new SignJWT({ roles: ['compliance'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime(Math.floor(Date.now() / 1000) - 3600).sign(key)],
    ['bad signature', async () => sign({ roles: ['compliance'] }, new TextEncoder().encode('another-secret-that-is-long-enough-000'))],
    ['without exp', async () => new SignJWT({ roles: ['compliance'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(key)],
    ['roles not an array', async () => sign({ roles: 'compliance' })],
    ['a malformed customer_id', async () => sign({ roles: ['customer'], customer_id: 'Customer:1' })],
    ['garbage', async () => 'not.a.jwt'],
    ['HMAC-SHA256-signed but naming another algorithm', async () => hmacSigned({ alg: 'HS512', typ: 'JWT' })],
    ['HMAC-SHA256-signed but naming alg none', async () => hmacSigned({ alg: 'none' })],
    ['critical-extension', async () => hmacSigned({ alg: 'HS256', crit: ['exp'] })],
  ])('refuses a %s token with 401 UNAUTHENTICATED', async (_case, make) => {
    const token = await make();
    const response = await gw.request(QUERY, token === undefined ? {} : { token });
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('gives a token with an unknown role nothing', async () => {
    const response = await gw.request(QUERY, { token: await sign({ roles: ['intern'] }) });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
  });
});

describe('a customer sees only their own records', () => {
  it('reads itself through me, customer(id:) and node(id:)', async () => {
    const token = await gw.customerToken('2');
    const id = toGlobalId('Customer', 2);
    const response = await gw.request(`query($id: ID!) { me { id } customer(id: $id) { id } node(id: $id) { id } }`, { token, variables: { id } });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ me: { id }, customer: { id }, node: { id } });
  });

  it("answers another customer's id exactly as it answers an id that does not exist", async () => {
    const token = await gw.customerToken('2');
    const ask = async (id: string) => {
      const response = await gw.request(`query($id: ID!) { customer(id: $id) { id name } node(id: $id) { id } }`, { token, variables: { id } });
      return { data: response.data, codes: response.errors?.map((e) => [e.path, e.extensions.code]) };
    };
    expect(await ask(toGlobalId('Customer', 3))).toEqual(await ask(toGlobalId('Customer', 987654)));
    expect((await ask(toGlobalId('Customer', 3))).codes).toEqual([[['customer'], 'NOT_FOUND'], [['node'], 'NOT_FOUND']]);
  });

  it('counts and lists only its own customers, transactions and accounts, also through aliases', async () => {
    const token = await gw.customerToken('2');
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from transactions where customer_id = 2`;
    const response = await gw.request(
      `{ customers { totalCount edges { node { id } } }
         mine: transactions(first: 100) { totalCount edges { node { customer { id } } } }
         theirs: transactions(first: 100, filter: { customerId: "${toGlobalId('Customer', 3)}" }) { totalCount } }`,
      { token },
    );
    expect(response.data.customers.totalCount).toBe(1);
    expect(response.data.mine.totalCount).toBe(n);
    expect(new Set(response.data.mine.edges.map((e: any) => e.node.customer.id))).toEqual(new Set(n ? [toGlobalId('Customer', 2)] : []));
    expect(response.data.theirs.totalCount).toBe(0);
  });

  it('lets compliance read every customer', async () => {
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from customers`;
    const response = await gw.request(`{ customers { totalCount } }`, { token: await gw.token({ roles: ['compliance'] }) });
    expect(response.data.customers.totalCount).toBe(n);
  });
});
