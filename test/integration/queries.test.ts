import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let staff: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 40 });
  staff = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());

const CUSTOMERS = /* GraphQL */ `
  query Customers($first: Int, $after: String) {
    customers(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name } }
    }
  }`;

describe('pagination', () => {
  it('pages through customers with cursors, default 20 per page', async () => {
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from customers`;
    const first = await gw.request(CUSTOMERS, { token: staff });
    expect(first.errors).toBeUndefined();
    expect(first.data.customers.edges).toHaveLength(20);
    expect(first.data.customers.totalCount).toBe(n);
    expect(first.data.customers.pageInfo.hasNextPage).toBe(true);

    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await gw.request(CUSTOMERS, { token: staff, variables: { first: 15, after } });
      ids.push(...page.data.customers.edges.map((e: any) => e.node.id));
      expect(page.data.customers.pageInfo.endCursor).toBe(page.data.customers.edges.at(-1)?.cursor ?? null);
      if (!page.data.customers.pageInfo.hasNextPage) break;
      after = page.data.customers.pageInfo.endCursor;
    }
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
  });

  it('refuses a page larger than 100 with BAD_USER_INPUT naming first, and keeps serving', async () => {
    const big = await gw.request(CUSTOMERS, { token: staff, variables: { first: 1000 } });
    expect(big.data).toBeNull();
    expect(big.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const next = await gw.request(CUSTOMERS, { token: staff, variables: { first: 1 } });
    expect(next.data.customers.edges).toHaveLength(1);
  });

  it('refuses a cursor it did not issue with BAD_USER_INPUT naming after', async () => {
    for (const after of ['bm90LWEtY3Vyc29y', 'cursor:12', '!!!', Buffer.from('cursor:1 or 1=1').toString('base64url')]) {
      const response = await gw.request(CUSTOMERS, { token: staff, variables: { after } });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('returns transactions newest first and counts them all', async () => {
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from transactions`;
    const response = await gw.request(`{ transactions(first: 100) { totalCount edges { node { createdAt id } } } }`, { token: staff });
    const keys = response.data.transactions.edges.map((e: any) => Number(Buffer.from(e.node.id, 'base64url').toString().split(':')[1]));
    expect(response.data.transactions.totalCount).toBe(n);
    expect(keys).toEqual([...keys].sort((a, b) => b - a));
  });
});

describe('global ids', () => {
  it('resolves node(id:) to the same customer customer(id:) returns', async () => {
    const id = toGlobalId('Customer', 3);
    const response = await gw.request(
      `query($id: ID!) { node(id: $id) { __typename id ... on Customer { name investorType } } customer(id: $id) { id name investorType } }`,
      { token: staff, variables: { id } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.node).toEqual({ __typename: 'Customer', ...response.data.customer });
  });

  it('answers a malformed or foreign-typed id with BAD_USER_INPUT and an unknown one with NOT_FOUND', async () => {
    const ask = (id: string) => gw.request(`query($id: ID!) { customer(id: $id) { id } }`, { token: staff, variables: { id } });
    expect((await ask('not-an-id')).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((await ask(toGlobalId('Product', 1))).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((await ask(toGlobalId('Customer', 999999))).errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    const node = await gw.request(`{ node(id: "%%%") { id } }`, { token: staff });
    expect(node.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('reaches every node type through node(id:)', async () => {
    const response = await gw.request(
      `{ transactions(first: 1, filter: { type: PURCHASE }) { edges { node { id customer { id accounts { id } } product { id issuer { id } currentDisclosure { id } } } } } }`,
      { token: staff },
    );
    const tx = response.data.transactions.edges[0].node;
    const ids = [tx.id, tx.customer.id, tx.customer.accounts[0].id, tx.product.id, tx.product.issuer.id, tx.product.currentDisclosure.id];
    for (const id of ids) {
      const node = await gw.request(`query($id: ID!) { node(id: $id) { id } }`, { token: staff, variables: { id } });
      expect(node.data.node.id).toBe(id);
    }
  });
});

describe('abusive documents', () => {
  it('refuses a document nested too deep, or with too many aliases, before running it, and keeps serving', async () => {
    const deep = `{ customers { edges { node { transactions { edges { node { customer { transactions { edges { node { customer { transactions { edges { node { id } } } } } } } } } } } } } } }`;
    const aliases = `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: products(first: 1) { totalCount }`).join(' ')} }`;
    for (const query of [deep, aliases]) {
      const response = await gw.request(query, { token: staff });
      expect(response.data).toBeUndefined();
      expect(response.errors?.length).toBeGreaterThan(0);
    }
    const suggestion = await gw.request(`{ custmers { totalCount } }`, { token: staff });
    expect(JSON.stringify(suggestion.errors)).not.toMatch(/Did you mean/);
    expect((await gw.request(`{ products(first: 1) { totalCount } }`, { token: staff })).data.products.totalCount).toBeGreaterThan(0);
  });
});

describe('disclosures', () => {
  it('do not exist before they are published, not even by id', async () => {
    // next quarter's report, already loaded, to be published in a week
    const [future] = await gw.db.sql<{ id: string }[]>`
      insert into disclosures (product_id, kind, version, title, body, published_at)
      values (1, 'PERIODIC_REPORT', 99, '下季度报告', '尚未披露的内容', now() + interval '7 days') returning id`;
    const [past] = await gw.db.sql<{ id: string }[]>`select id from disclosures where published_at <= now() order by id limit 1`;
    const ask = (key: string) =>
      gw.request(`query($id: ID!) { disclosure(id: $id) { id } node(id: $id) { id } }`, { token: staff, variables: { id: toGlobalId('Disclosure', key) } });
    expect((await ask(future!.id)).errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect((await ask(past!.id)).data.disclosure.id).toBe(toGlobalId('Disclosure', past!.id));
  });
});
