import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { StartupError } from '../../src/errors.ts';
import { toGlobalId } from '../../src/ids.ts';
import { createTransport } from '../../src/http/transport.ts';
import { loadPersistedOperations } from '../../src/http/persisted-operations.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { balanceOf, newCustomer, openAccount } from '../support/ledger.ts';

const PRODUCTION = { NODE_ENV: 'production', GATEWAY_JWT_SECRET: 'a-real-secret-of-at-least-32-characters!!' };
const PRODUCTS = '{ products(first: 1) { totalCount } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
let persistedFile: string;
/** Defaults: as `createGateway` is called without transport options (introspection on, no CORS). */
let plain: TestGateway;
/** Introspection for staff, two CORS origins, persisted operations beside arbitrary ones. */
let dev: TestGateway;
/** The transport production's configuration gives. */
let production: TestGateway;
/** The same, with a persisted operations file. */
let persistedOnly: TestGateway;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fingate-transport-'));
  persistedFile = join(dir, 'operations.json');
  await writeFile(persistedFile, JSON.stringify({ [sha256(PRODUCTS)]: PRODUCTS }));
  const persistedOperations = await loadPersistedOperations(persistedFile, { only: false });
  // one after another: embedded databases starting side by side on a busy machine time out
  plain = await startGateway({ customers: 3 });
  dev = await startGateway({ customers: 3, transport: { introspection: 'staff', corsOrigins: ['https://app.example.com', 'http://localhost:*'], persistedOperations } });
  production = await startGateway({ customers: 3, transport: await createTransport(loadConfig(PRODUCTION)) });
  persistedOnly = await startGateway({ customers: 3, transport: await createTransport(loadConfig({ ...PRODUCTION, FINGATE_PERSISTED_OPERATIONS: persistedFile })) });
});
afterAll(async () => {
  await Promise.all([plain?.close(), dev?.close(), production?.close(), persistedOnly?.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** One raw HTTP request, for bodies and headers the GraphQL client helper never sends. */
async function send(url: string, init: RequestInit & { headers?: Record<string, string> }) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('GraphQL over POST takes JSON only', () => {
  let token: string;
  let from: string;
  let to: string;
  let mutation: string;
  beforeAll(async () => {
    const customer = await newCustomer(plain.db.sql);
    from = await openAccount(plain.db.sql, customer, '100.00');
    to = await openAccount(plain.db.sql, await newCustomer(plain.db.sql), '0');
    token = await plain.token({ sub: `customer-${customer}`, roles: ['customer'], customerId: toGlobalId('Customer', customer) });
    const input = (key: string) => `{ fromAccountId: "${toGlobalId('Account', from)}", toAccountId: "${toGlobalId('Account', to)}", amount: "10.00", idempotencyKey: "${key}" }`;
    mutation = `mutation { transfer(input: ${input('transport-1')}) { id amount } }`;
  });

  const multipart = (query: string) => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query }));
    form.set('map', '{}');
    return form;
  };
  it.each([
    ['application/x-www-form-urlencoded', (query: string) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams({ query }).toString() })],
    ['multipart/form-data', (query: string) => ({ body: multipart(query) })],
    ['text/plain', (query: string) => ({ 'content-type': 'text/plain', body: JSON.stringify({ query }) })],
    ['application/graphql', (query: string) => ({ 'content-type': 'application/graphql', body: query })],
    ['no content type', (query: string) => ({ body: new Blob([JSON.stringify({ query })]) })],
  ])('refuses a transfer sent as %s with 415, and moves no money', async (_type, make) => {
    const { body, ...contentType } = make(mutation);
    const response = await send(plain.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(contentType as Record<string, string>) }, body });
    expect(response.status).toBe(415);
    expect(response.headers.get('accept-post')).toBe('application/json');
    expect(response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(response.body.data).toBeUndefined();
    expect(await balanceOf(plain.db.sql, from)).toBe('100.00');
  });

  it('moves the money when the same transfer comes as JSON (with a charset)', async () => {
    const response = await send(plain.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ query: mutation.replace('transport-1', 'transport-json') }),
    });
    expect(response.status).toBe(200);
    expect(response.body.data.transfer.amount).toBe('10.00');
    expect(await balanceOf(plain.db.sql, from)).toBe('90.00');
  });

  it('answers a query over GET and refuses a mutation over GET with 405', async () => {
    const get = (query: string) => send(`${plain.url}?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const query = await get(PRODUCTS);
    expect(query.status).toBe(200);
    expect(query.body.data.products.totalCount).toBeGreaterThan(0);
    expect((await get(mutation.replace('transport-1', 'transport-get'))).status).toBe(405);
    expect(await balanceOf(plain.db.sql, from)).toBe('90.00');
  });
});

describe('introspection', () => {
  const SCHEMA = '{ __schema { queryType { name } } }';
  const code = (response: { errors?: { extensions: { code: string } }[] }) => response.errors?.[0]?.extensions.code;

  it('is open to any authenticated caller where it is on (outside production by default)', async () => {
    const response = await plain.request(SCHEMA, { token: await plain.customerToken('1') });
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it.each([
    ['__schema', SCHEMA],
    ['__type', '{ __type(name: "Customer") { name } }'],
    ['__schema inside a fragment', 'query { ...F } fragment F on Query { __schema { types { name } } }'],
  ])('is refused with 400 BAD_USER_INPUT to everyone in production, also through %s', async (_case, query) => {
    const response = await production.request(query, { token: await production.token({ roles: ['compliance'] }) });
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(code(response)).toBe('BAD_USER_INPUT');
  });

  it('still answers __typename in production', async () => {
    const response = await production.request('{ __typename }', { token: await production.token({ roles: ['compliance'] }) });
    expect(response.data).toEqual({ __typename: 'Query' });
  });

  it.each([
    ['compliance', true],
    ['advisor', true],
    ['auditor', true],
    ['service', true],
    ['customer', false],
    ['intern', false],
  ])('in staff mode, answers %s: %s', async (role, allowed) => {
    const token = role === 'customer' ? await dev.customerToken('1') : await dev.token({ roles: [role] });
    const response = await dev.request(SCHEMA, { token });
    if (allowed) expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    else expect([response.status, code(response)]).toEqual([400, 'BAD_USER_INPUT']);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    send(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-access-purpose' } });
  const post = async (gw: TestGateway, origin: string) =>
    send(gw.url, { method: 'POST', headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${await gw.token({ roles: ['compliance'] })}` }, body: JSON.stringify({ query: PRODUCTS }) });

  it.each(['https://app.example.com', 'http://localhost:5173'])('lets the listed origin %s call with credentials, preflight included', async (origin) => {
    const before = await preflight(dev.url, origin);
    expect(before.status).toBe(204);
    expect(before.headers.get('access-control-allow-origin')).toBe(origin);
    expect(before.headers.get('access-control-allow-credentials')).toBe('true');
    expect(before.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(before.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-access-purpose');
    const response = await post(dev, origin);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it.each(['https://evil.example', 'https://app.example.com.evil.example', 'http://localhost:5173.evil.example', 'http://app.example.com', 'null'])(
    'gives the unlisted origin %s no CORS headers at all',
    async (origin) => {
      for (const response of [await preflight(dev.url, origin), await post(dev, origin)]) {
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
        expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
      }
    },
  );

  it('allows no origin when none is configured, as in production', async () => {
    for (const gw of [plain, production, persistedOnly]) {
      for (const origin of ['http://localhost:5173', 'https://app.example.com']) {
        expect((await preflight(gw.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
        expect((await post(gw, origin)).headers.get('access-control-allow-origin')).toBeNull();
      }
    }
  });
});

describe('persisted operations', () => {
  const byId = async (gw: TestGateway, id: string) =>
    send(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token({ roles: ['compliance'] })}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
    });

  it('serves an operation from the file by its id', async () => {
    for (const gw of [dev, persistedOnly]) {
      const response = await byId(gw, sha256(PRODUCTS));
      expect(response.status).toBe(200);
      expect(response.body.data.products.totalCount).toBeGreaterThan(0);
    }
  });

  it('refuses an id that is not in the file with 400 BAD_USER_INPUT', async () => {
    const response = await byId(persistedOnly, sha256('{ customers { totalCount } }'));
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('in production serves only the file: any other document, even one in the file, is refused', async () => {
    const token = await persistedOnly.token({ roles: ['compliance'] });
    for (const query of ['{ customers(first: 1) { totalCount } }', PRODUCTS]) {
      const response = await persistedOnly.request(query, { token });
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('outside production serves other documents beside the file', async () => {
    const response = await dev.request('{ customers(first: 1) { totalCount } }', { token: await dev.token({ roles: ['compliance'] }) });
    expect(response.data.customers.totalCount).toBeGreaterThan(0);
  });

  it.each([
    ['not JSON', '{ nope', /JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['a document that is not a string', '{ "a": 1 }', /"a" must map to a GraphQL document string/],
    ['a document that does not parse', '{ "a": "{ products(" }', /"a": Syntax Error/],
  ])('stops the start when the file is %s, naming the file and the entry', async (_case, content, problem) => {
    const file = join(dir, `bad-${sha256(content).slice(0, 8)}.json`);
    await writeFile(file, content);
    const error = await loadPersistedOperations(file, { only: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toContain(`FINGATE_PERSISTED_OPERATIONS: ${file}: `);
    expect((error as Error).message).toMatch(problem);
  });
});

describe('transport configuration', () => {
  it('is open outside production: introspection on, loopback origins on any port', () => {
    expect(loadConfig({}).http).toEqual({ introspection: 'on', corsOrigins: ['http://localhost:*', 'http://127.0.0.1:*'], persistedOperationsFile: undefined });
  });

  it('is closed in production unless configured: introspection off, no origins', () => {
    expect(loadConfig(PRODUCTION).http).toMatchObject({ introspection: 'off', corsOrigins: [] });
    expect(loadConfig({ ...PRODUCTION, FINGATE_INTROSPECTION: 'staff', FINGATE_CORS_ORIGINS: 'https://app.example.com, https://ops.example.com:8443' }).http).toMatchObject({
      introspection: 'staff',
      corsOrigins: ['https://app.example.com', 'https://ops.example.com:8443'],
    });
  });

  it.each([
    ['FINGATE_CORS_ORIGINS', '*'],
    ['FINGATE_CORS_ORIGINS', 'https://app.example.com/path'],
    ['FINGATE_CORS_ORIGINS', 'app.example.com'],
    ['FINGATE_INTROSPECTION', 'sometimes'],
    ['GATEWAY_JWT_MAX_LIFETIME', '1d'],
  ])('refuses %s=%s at start, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
