import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { toSql } from '../../src/db/row-filter.ts';
import { caslBodySchema, compileCasl } from '../../src/policy/casl.ts';
import { matches, NONE, type Condition } from '../../src/policy/condition.ts';
import type { Principal } from '../../src/policy/principal.ts';
import type { PolicyFile } from '../../src/policy/types.ts';
import { freshDatabase } from '../support/database.ts';
import { catalogue } from '../support/modules.ts';

/*
 * The same rules answer two questions: which rows a list may show (a SQL WHERE clause) and whether
 * one record may be seen (CASL, in memory). If the two ever disagreed, a page could show what a
 * direct lookup refuses, or totalCount could count what the page hides. This property test feeds
 * both random rules, principals and rows and requires the same answer from each.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase();
  await db.sql`create table pt (id bigint primary key, customer_id bigint, institution_id bigint, product_id bigint, type text, status text)`;
  await db.sql`create table pp (id bigint primary key, distributor_id bigint, status text, holder_ids bigint[])`;
  await db.sql`create table pq (id bigint primary key, offering text, status text, holder_ids bigint[], qualified_ids bigint[])`;
});
afterAll(() => db?.drop());

const columns = { id: 't.id', customerId: 't.customer_id', institutionId: 't.institution_id', productId: 't.product_id', type: 't.type', status: 't.status' };
const ROLES = ['customer', 'advisor', 'compliance'] as const;
const key = fc.integer({ min: 1, max: 4 }).map(String);
const type = fc.constantFrom('PURCHASE', 'REDEMPTION', 'TRANSFER');
const status = fc.constantFrom('COMPLETED', 'REVERSED', 'PENDING');

const condition = fc.record(
  {
    customerId: fc.oneof(key, fc.constant('${principal.customerId}'), fc.record({ $in: fc.array(key, { minLength: 1, maxLength: 3 }) })),
    institutionId: fc.oneof(key, fc.constant('${principal.institutionId}'), fc.record({ $ne: key })),
    productId: fc.oneof(key, fc.record({ $nin: fc.array(key, { minLength: 1, maxLength: 2 }) })),
    type: fc.oneof(type, fc.record({ $in: fc.array(type, { minLength: 1, maxLength: 2 }) })),
    status: fc.oneof(status, fc.record({ $ne: status })),
  },
  { requiredKeys: [] },
);

const rule = fc.record({
  effect: fc.constantFrom('allow', 'allow', 'deny'),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  actions: fc.constant(['transaction.read']),
  subject: fc.constant('Transaction'),
  conditions: fc.option(condition, { nil: undefined }),
});

const principal = fc.record({
  id: fc.constant('p'),
  roles: fc.subarray([...ROLES]),
  customerId: fc.option(key, { nil: undefined }),
  institutionId: fc.option(key, { nil: undefined }),
  scopes: fc.constant([] as string[]),
});

const row = fc.record({
  customer_id: fc.option(key, { nil: null }),
  institution_id: fc.option(key, { nil: null }),
  product_id: fc.option(key, { nil: null }),
  type,
  status,
});

// Products: a set-valued attribute (holderIds, the customers holding it) equals any key it holds
const productColumns = { id: 'p.id', distributorId: 'p.distributor_id', status: 'p.status', holderIds: 'p.holder_ids' };
const productStatus = fc.constantFrom('ONLINE', 'SUSPENDED', 'DRAFT');

const productRule = fc.record({
  effect: fc.constantFrom('allow', 'allow', 'deny'),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  actions: fc.constant(['product.read']),
  subject: fc.constant('Product'),
  conditions: fc.option(
    fc.record(
      {
        distributorId: fc.oneof(key, fc.constant('${principal.institutionId}')),
        status: fc.oneof(productStatus, fc.record({ $ne: productStatus })),
        holderIds: fc.oneof(
          key,
          fc.constant('${principal.customerId}'),
          fc.record({ $in: fc.array(key, { minLength: 1, maxLength: 3 }) }),
          fc.record({ $nin: fc.array(key, { minLength: 1, maxLength: 2 }) }),
          fc.record({ $ne: key }),
        ),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
});

const productRow = fc.record({
  distributor_id: fc.option(key, { nil: null }),
  status: productStatus,
  holder_ids: fc.option(fc.uniqueArray(key, { maxLength: 3 }), { nil: null }),
});

function compile(rules: unknown[]) {
  const body = caslBodySchema.parse({ rules: rules.map((r) => JSON.parse(JSON.stringify(r))) });
  const file = { module: 'access', version: 1, body } as PolicyFile<typeof body>;
  return compileCasl(file, catalogue);
}

describe('row conditions', () => {
  it('select exactly the rows the single-record check allows, in SQL and in memory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rule, { minLength: 1, maxLength: 5 }), principal, fc.array(row, { minLength: 1, maxLength: 25 }), async (rules, who, rows) => {
        const policy = compile(rules);
        const p = who as Principal;
        const now = new Date();
        const list = policy.decide({ principal: p, purpose: null, action: 'transaction.read', now });
        const condition = list.effect === 'allow' ? (list.obligations.rows ?? { op: 'all' as const }) : NONE;

        const records = rows.map((r, i) => ({ ...r, id: String(i + 1) }));
        await db.sql`delete from pt`;
        await db.sql`insert into pt ${db.sql(records)}`;
        const viaSql = (await db.sql<{ id: string }[]>`select t.id from pt t where ${toSql(db.sql, condition, columns)} order by t.id`).map((r) => r.id);

        const attributes = (r: (typeof records)[number]) => ({ id: r.id, customerId: r.customer_id, institutionId: r.institution_id, productId: r.product_id, type: r.type, status: r.status });
        const viaCasl = records.filter((r) => policy.decide({ principal: p, purpose: null, action: 'transaction.read', now, resource: { type: 'Transaction', attributes: attributes(r) } }).effect === 'allow').map((r) => r.id);
        const viaMatches = records.filter((r) => matches(condition, attributes(r))).map((r) => r.id);

        expect(viaSql).toEqual(viaCasl);
        expect(viaMatches).toEqual(viaCasl);
      }),
      { numRuns: 150 },
    );
  });
});

describe('row conditions on a set of keys', () => {
  it('select exactly the products the single-record check allows, in SQL and in memory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(productRule, { minLength: 1, maxLength: 4 }), principal, fc.array(productRow, { minLength: 1, maxLength: 20 }), async (rules, who, rows) => {
        const policy = compile(rules);
        const p = who as Principal;
        const now = new Date();
        const list = policy.decide({ principal: p, purpose: null, action: 'product.read', now });
        const condition = list.effect === 'allow' ? (list.obligations.rows ?? { op: 'all' as const }) : NONE;

        const records = rows.map((r, i) => ({ ...r, id: String(i + 1) }));
        await db.sql`delete from pp`;
        for (const r of records) await db.sql`insert into pp values (${r.id}, ${r.distributor_id}, ${r.status}, ${r.holder_ids})`;
        const viaSql = (await db.sql<{ id: string }[]>`select p.id from pp p where ${toSql(db.sql, condition, productColumns)} order by p.id`).map((r) => r.id);

        const attributes = (r: (typeof records)[number]) => ({ id: r.id, distributorId: r.distributor_id, status: r.status, holderIds: r.holder_ids });
        const viaCasl = records.filter((r) => policy.decide({ principal: p, purpose: null, action: 'product.read', now, resource: { type: 'Product', attributes: attributes(r) } }).effect === 'allow').map((r) => r.id);
        const viaMatches = records.filter((r) => matches(condition, attributes(r))).map((r) => r.id);

        expect(viaSql).toEqual(viaCasl);
        expect(viaMatches).toEqual(viaCasl);
      }),
      { numRuns: 150 },
    );
  });
});

// Private products: customers see a PRIVATE product only while they are a confirmed qualified
// investor (qualifiedInvestorIds), or while they hold it. access@4's catalogue rules, then random
// others, must select the same rows in SQL, in CASL and in memory.
describe('row conditions on private products', async () => {
  const policies = loadConfig({}).policiesDir;
  const productRules = (rules: { actions: string[] }[]) => rules.filter((r) => r.actions.includes('product.read'));
  const catalogueRules = productRules((parse(await readFile(join(policies, 'access', 'access.v4.yaml'), 'utf8')) as { rules: { actions: string[] }[] }).rules);
  // the set as an array, and as a membership test (src/resources.ts writes it so): the same rows
  const asArray = { id: 'q.id', offering: 'q.offering', status: 'q.status', holderIds: 'q.holder_ids', qualifiedInvestorIds: 'q.qualified_ids' };
  const asMembership = { ...asArray, qualifiedInvestorIds: 'exists(select 1 from unnest(q.qualified_ids) k where k = {key})' };
  const offering = fc.constantFrom('PUBLIC', 'PRIVATE');
  const productStatus = fc.constantFrom('ONLINE', 'SUSPENDED');
  const keys = fc.option(fc.uniqueArray(key, { maxLength: 3 }), { nil: null });
  const privateRule = fc.record({
    effect: fc.constantFrom('allow', 'deny'),
    roles: fc.subarray([...ROLES], { minLength: 1 }),
    actions: fc.constant(['product.read']),
    subject: fc.constant('Product'),
    conditions: fc.option(
      fc.record(
        {
          offering: fc.oneof(offering, fc.record({ $ne: offering })),
          status: productStatus,
          qualifiedInvestorIds: fc.oneof(
            key,
            fc.constant('${principal.customerId}'),
            fc.record({ $in: fc.array(key, { minLength: 1, maxLength: 3 }) }),
            fc.record({ $nin: fc.array(key, { minLength: 1, maxLength: 2 }) }),
            fc.record({ $ne: key }),
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  });
  const privateRow = fc.record({ offering, status: productStatus, holder_ids: keys, qualified_ids: keys });

  it('select exactly the products the single-record check allows, in SQL and in memory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(privateRule, { maxLength: 2 }), principal, fc.array(privateRow, { minLength: 1, maxLength: 20 }), async (extra, who, rows) => {
        const policy = compile([...catalogueRules, ...extra]);
        const p = who as Principal;
        const now = new Date();
        const list = policy.decide({ principal: p, purpose: null, action: 'product.read', now });
        const condition = list.effect === 'allow' ? (list.obligations.rows ?? { op: 'all' as const }) : NONE;

        const records = rows.map((r, i) => ({ ...r, id: String(i + 1) }));
        await db.sql`delete from pq`;
        for (const r of records) await db.sql`insert into pq values (${r.id}, ${r.offering}, ${r.status}, ${r.holder_ids}, ${r.qualified_ids})`;
        const select = async (columns: typeof asArray) => (await db.sql<{ id: string }[]>`select q.id from pq q where ${toSql(db.sql, condition, columns)} order by q.id`).map((r) => r.id);
        const viaSql = await select(asArray);
        const viaMembership = await select(asMembership);

        const attributes = (r: (typeof records)[number]) => ({ id: r.id, offering: r.offering, status: r.status, holderIds: r.holder_ids, qualifiedInvestorIds: r.qualified_ids });
        const viaCasl = records.filter((r) => policy.decide({ principal: p, purpose: null, action: 'product.read', now, resource: { type: 'Product', attributes: attributes(r) } }).effect === 'allow').map((r) => r.id);
        const viaMatches = records.filter((r) => matches(condition, attributes(r))).map((r) => r.id);

        expect(viaSql).toEqual(viaCasl);
        expect(viaMembership).toEqual(viaCasl);
        expect(viaMatches).toEqual(viaCasl);
        // with the shipped rules alone, a customer sees what is on sale and public or they are qualified for, and what they hold
        if (extra.length === 0 && p.roles.length === 1 && p.roles[0] === 'customer') {
          const mine = (ids: string[] | null) => p.customerId !== undefined && (ids ?? []).includes(p.customerId);
          const shown = records.filter((r) => (r.status === 'ONLINE' && (r.offering === 'PUBLIC' || mine(r.qualified_ids))) || mine(r.holder_ids));
          expect(viaCasl).toEqual(shown.map((r) => r.id));
        }
      }),
      { numRuns: 150 },
    );
  });
});

// Values no row can equal (NULL, or a key that is not an integer) compare as PostgreSQL's
// two-valued reading of the condition, the same as `matches` reads it in memory.
describe('row conditions on values no column can equal', () => {
  const transactions = [
    { id: '1', customer_id: '1', institution_id: '1', product_id: '1', type: 'PURCHASE', status: 'COMPLETED' },
    { id: '2', customer_id: null, institution_id: '1', product_id: '2', type: 'REDEMPTION', status: 'PENDING' },
  ];
  const products = [
    { id: '1', distributor_id: '1', status: 'ONLINE', holder_ids: ['1', '2'] },
    { id: '2', distributor_id: '1', status: 'ONLINE', holder_ids: null },
  ];
  const transactionAttributes = (r: (typeof transactions)[number]) => ({ id: r.id, customerId: r.customer_id, institutionId: r.institution_id, productId: r.product_id, type: r.type, status: r.status });
  const productAttributes = (r: (typeof products)[number]) => ({ id: r.id, distributorId: r.distributor_id, status: r.status, holderIds: r.holder_ids });

  it.each<[string, Condition, string[]]>([
    ['text equal to NULL', { op: 'eq', field: 'type', value: null }, []],
    ['text not equal to NULL', { op: 'ne', field: 'type', value: null }, ['1', '2']],
    ['a key equal to a non-integer', { op: 'eq', field: 'customerId', value: 'one' }, []],
    ['a key not equal to a non-integer', { op: 'ne', field: 'customerId', value: '1.5' }, ['1', '2']],
    ['a key in a list of NULL and non-integers', { op: 'in', field: 'customerId', value: [null, 'x'] }, []],
    ['text in a list of NULL', { op: 'in', field: 'type', value: [null] }, []],
  ])('%s selects what matches selects', async (_name, condition, expected) => {
    await db.sql`delete from pt`;
    await db.sql`insert into pt ${db.sql(transactions)}`;
    const viaSql = (await db.sql<{ id: string }[]>`select t.id from pt t where ${toSql(db.sql, condition, columns)} order by t.id`).map((r) => r.id);
    expect(viaSql).toEqual(expected);
    expect(transactions.filter((r) => matches(condition, transactionAttributes(r))).map((r) => r.id)).toEqual(expected);
  });

  it.each<[string, Condition, string[]]>([
    ['a key set holding a non-integer', { op: 'eq', field: 'holderIds', value: 'x' }, []],
    ['a key set not holding a non-integer', { op: 'ne', field: 'holderIds', value: 'x' }, ['1', '2']],
    ['a key set holding any of a list of NULL and non-integers', { op: 'in', field: 'holderIds', value: [null, '-0'] }, []],
  ])('%s selects what matches selects', async (_name, condition, expected) => {
    await db.sql`delete from pp`;
    for (const r of products) await db.sql`insert into pp values (${r.id}, ${r.distributor_id}, ${r.status}, ${r.holder_ids})`;
    const viaSql = (await db.sql<{ id: string }[]>`select p.id from pp p where ${toSql(db.sql, condition, productColumns)} order by p.id`).map((r) => r.id);
    expect(viaSql).toEqual(expected);
    expect(products.filter((r) => matches(condition, productAttributes(r))).map((r) => r.id)).toEqual(expected);
  });
});

describe('a row condition made into SQL', () => {
  it('is made once per condition and columns, and reused', () => {
    const condition: Condition = { op: 'eq', field: 'customerId', value: '1' };
    const fragment = toSql(db.sql, condition, columns);
    expect(toSql(db.sql, condition, columns)).toBe(fragment);
    expect(toSql(db.sql, condition, { ...columns })).not.toBe(fragment);
    expect(toSql(db.sql, { ...condition }, columns)).not.toBe(fragment);
  });
});
