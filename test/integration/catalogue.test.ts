import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { newInstitution, newProduct } from '../support/catalogue.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { balanceOf, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

// The product lifecycle and who sees which products, through the real HTTP handler: staff move a
// product one step at a time under access@4's rules, every step is recorded, customers see what is
// on sale and what they hold, and holders redeem whatever became of the product.

let gw: TestGateway;
let compliance: string;
let auditor: string;
let institutions: { distributor: string; issuer: string; other: string };
let advisor: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 5 });
  compliance = await gw.token({ roles: ['compliance'], sub: 'officer-1' });
  auditor = await gw.token({ roles: ['auditor'] });
  institutions = {
    distributor: await newInstitution(gw.db.sql, 'SECURITIES_FIRM', [{ type: 'FUND_SALES' }]),
    issuer: await newInstitution(gw.db.sql, 'FUND_MANAGER', [{ type: 'FUND_MANAGEMENT' }]),
    other: await newInstitution(gw.db.sql, 'SECURITIES_FIRM', [{ type: 'FUND_SALES' }]),
  };
  advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', institutions.distributor), sub: 'advisor-1' });
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const CHANGE = `mutation($input: ChangeProductStatusInput!) { changeProductStatus(input: $input) { from to changedBy changedAt product { id status } } }`;
const HISTORY = `query($id: ID!) { product(id: $id) { status statusHistory { from to changedBy changedAt } } }`;

const fund = (status: string, distributor = institutions.distributor) =>
  newProduct(gw.db.sql, { category: 'FUND', issuerId: institutions.issuer, distributorId: distributor, status });
const change = (token: string, product: string, status: string) =>
  gw.request(CHANGE, { token, variables: { input: { productId: toGlobalId('Product', product), status } } });
const statusOf = async (product: string) => (await gw.db.sql<[{ status: string }]>`select status from products where id = ${product}`)[0].status;

describe('changeProductStatus', () => {
  it("lets an advisor submit their institution's draft, and records who took the step and when", async () => {
    const product = await fund('DRAFT');
    const before = Date.now();
    const response = await change(advisor, product, 'IN_REVIEW');
    expect(response.errors).toBeUndefined();
    expect(response.data.changeProductStatus).toMatchObject({ from: 'DRAFT', to: 'IN_REVIEW', changedBy: 'advisor-1', product: { id: toGlobalId('Product', product), status: 'IN_REVIEW' } });
    expect(Date.parse(response.data.changeProductStatus.changedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await statusOf(product)).toBe('IN_REVIEW');
  });

  it('takes a product from draft to wound down, one step at a time, and keeps the whole history in order', async () => {
    const product = await fund('DRAFT');
    expect((await change(advisor, product, 'IN_REVIEW')).errors).toBeUndefined();
    for (const status of ['DRAFT', 'IN_REVIEW', 'ONLINE', 'SUSPENDED', 'ONLINE', 'SUSPENDED', 'TERMINATED']) {
      const token = status === 'IN_REVIEW' ? advisor : compliance;
      expect((await change(token, product, status)).errors, status).toBeUndefined();
    }
    const response = await gw.request(HISTORY, { token: auditor, variables: { id: toGlobalId('Product', product) } });
    expect(response.data.product.status).toBe('TERMINATED');
    expect(response.data.product.statusHistory.map((s: any) => `${s.from}>${s.to} by ${s.changedBy}`)).toEqual([
      'DRAFT>IN_REVIEW by advisor-1',
      'IN_REVIEW>DRAFT by officer-1',
      'DRAFT>IN_REVIEW by advisor-1',
      'IN_REVIEW>ONLINE by officer-1',
      'ONLINE>SUSPENDED by officer-1',
      'SUSPENDED>ONLINE by officer-1',
      'ONLINE>SUSPENDED by officer-1',
      'SUSPENDED>TERMINATED by officer-1',
    ]);
  });

  it('refuses a step the lifecycle does not have with BAD_USER_INPUT naming input.status, and TERMINATED is final', async () => {
    const draft = await fund('DRAFT');
    const terminated = await fund('TERMINATED');
    for (const [product, status] of [
      [draft, 'ONLINE'],
      [draft, 'DRAFT'],
      [await fund('ONLINE'), 'TERMINATED'],
      [terminated, 'ONLINE'],
      [terminated, 'SUSPENDED'],
    ] as const) {
      expect((await change(compliance, product, status)).errors?.[0]?.extensions, `${status}`).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.status' });
    }
    expect(await statusOf(terminated)).toBe('TERMINATED');
  });

  it("answers a step the caller's rules do not cover like a record outside their rows, and changes nothing", async () => {
    const inReview = await fund('IN_REVIEW');
    // an advisor does not put a product on sale (separation of duties), nor submit another institution's draft
    expect((await change(advisor, inReview, 'ONLINE')).errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect((await change(advisor, await fund('DRAFT', institutions.other), 'IN_REVIEW')).errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    // compliance does not submit drafts
    expect((await change(compliance, await fund('DRAFT'), 'IN_REVIEW')).errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(await statusOf(inReview)).toBe('IN_REVIEW');
  });

  it('is refused to customers and auditors, who take no step at all', async () => {
    const product = await fund('ONLINE');
    const customer = await gw.customerToken((await gw.db.sql<[{ id: string }]>`select id from customers order by id limit 1`)[0].id);
    for (const token of [customer, auditor]) {
      expect((await change(token, product, 'SUSPENDED')).errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { reasons: [{ code: 'NO_RULE_ALLOWS' }] } });
    }
    expect(await statusOf(product)).toBe('ONLINE');
  });

  it('answers NOT_FOUND naming input.productId for a product that does not exist', async () => {
    expect((await change(compliance, '999999999', 'SUSPENDED')).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.productId' });
  });
});

describe('the database', () => {
  it("changes a product's status only through its recorded history, which is never rewritten", async () => {
    const product = await fund('ONLINE');
    await expect(gw.db.sql`update products set status = 'SUSPENDED' where id = ${product}`).rejects.toMatchObject({ code: '42501' });
    expect((await change(compliance, product, 'SUSPENDED')).errors).toBeUndefined();
    for (const statement of [
      gw.db.sql`update product_status_changes set changed_by = 'someone else' where product_id = ${product}`,
      gw.db.sql`delete from product_status_changes where product_id = ${product}`,
    ]) {
      await expect(statement).rejects.toMatchObject({ code: '42501' });
    }
    // a step the lifecycle does not have cannot be recorded either
    await expect(gw.db.sql`
      insert into product_status_changes (product_id, from_status, to_status, changed_by, changed_at)
      values (${product}, 'SUSPENDED', 'DRAFT', 'sql', now())`).rejects.toMatchObject({ code: '23503' });
    expect(await statusOf(product)).toBe('SUSPENDED');
  });
});

describe('who sees which products', () => {
  let holder: { id: string; token: string; account: string };
  const products: Record<string, string> = {};

  const PRODUCTS = `{ products(first: 100) { totalCount edges { node { id status } } } }`;
  const visible = async (token: string) => {
    const response = await gw.request(PRODUCTS, { token });
    expect(response.errors).toBeUndefined();
    const ids = response.data.products.edges.map((e: any) => e.node.id as string);
    expect(response.data.products.totalCount).toBe(ids.length);
    return ids;
  };

  beforeAll(async () => {
    for (const status of ['DRAFT', 'IN_REVIEW', 'ONLINE', 'SUSPENDED', 'TERMINATED']) products[status] = await fund(status);
    products.heldSuspended = await fund('ONLINE');
    products.heldTerminated = await fund('ONLINE');
    const id = await newCustomer(gw.db.sql);
    holder = { id, account: await openAccount(gw.db.sql, id, '1000.00'), token: await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` }) };
    await gw.request(`mutation { submitRiskAssessment(input: { answers: [4,4,4,4,4,4,4,4,4,4] }) { tolerance } }`, { token: holder.token });
    for (const product of [products.heldSuspended, products.heldTerminated]) {
      const [{ id: disclosure }] = await gw.db.sql<[{ id: string }]>`select id from disclosures where product_id = ${product}`;
      await gw.request(`mutation($id: ID!) { acknowledgeDisclosure(input: { disclosureId: $id }) { acknowledgedAt } }`, { token: holder.token, variables: { id: toGlobalId('Disclosure', disclosure) } });
      const bought = await gw.request(`mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { id } }`, {
        token: holder.token,
        variables: { input: { productId: toGlobalId('Product', product), accountId: toGlobalId('Account', holder.account), amount: '100.00', idempotencyKey: randomUUID() } },
      });
      expect(bought.errors).toBeUndefined();
      expect((await change(compliance, product, 'SUSPENDED')).errors).toBeUndefined();
    }
    expect((await change(compliance, products.heldTerminated!, 'TERMINATED')).errors).toBeUndefined();
  });

  it('a customer lists the public products on sale and the ones they hold, and totalCount counts no others', async () => {
    const ids = await visible(holder.token);
    const id = (key: string) => toGlobalId('Product', products[key]!);
    expect(ids).toEqual(expect.arrayContaining([id('ONLINE'), id('heldSuspended'), id('heldTerminated')]));
    for (const hidden of ['DRAFT', 'IN_REVIEW', 'SUSPENDED', 'TERMINATED']) expect(ids).not.toContain(id(hidden));
    const [{ n }] = await gw.db.sql<[{ n: number }]>`
      select count(*)::int as n from products p
       where (p.status = 'ONLINE' and p.offering = 'PUBLIC')
          or exists (select 1 from positions ps where ps.product_id = p.id and ps.customer_id = ${holder.id})`;
    expect(ids).toHaveLength(n);
  });

  it('a customer who holds nothing and is no qualified investor sees only the public products on sale', async () => {
    const token = await gw.customerToken(await newCustomer(gw.db.sql));
    const ids = await visible(token);
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from products where status = 'ONLINE' and offering = 'PUBLIC'`;
    expect(ids).toHaveLength(n);
    expect(ids).not.toContain(toGlobalId('Product', products.heldSuspended!));
  });

  it('a customer gets NOT_FOUND for a product not on sale that they do not hold, through every path', async () => {
    const id = toGlobalId('Product', products.DRAFT!);
    const response = await gw.request(`query($id: ID!) { product(id: $id) { id } node(id: $id) { id } }`, { token: holder.token, variables: { id } });
    expect(response.data).toEqual({ product: null, node: null });
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('staff see every product, whatever its status', async () => {
    const ids = await visible(compliance);
    for (const key of Object.keys(products)) expect(ids).toContain(toGlobalId('Product', products[key]!));
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from products`;
    expect(ids).toHaveLength(n);
  });

  it('a holder redeems from a suspended and from a wound-down product, but buys neither', async () => {
    for (const product of [products.heldSuspended!, products.heldTerminated!]) {
      const input = { productId: toGlobalId('Product', product), accountId: toGlobalId('Account', holder.account), amount: '100.00', idempotencyKey: randomUUID() };
      const redeemed = await gw.request(`mutation($input: RedeemInput!) { redeemProduct(input: $input) { type amount product { id status } } }`, { token: holder.token, variables: { input } });
      expect(redeemed.errors).toBeUndefined();
      expect(redeemed.data.redeemProduct).toMatchObject({ type: 'REDEMPTION', amount: '100.00', product: { id: toGlobalId('Product', product) } });
      const bought = await gw.request(`mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { id } }`, { token: holder.token, variables: { input: { ...input, idempotencyKey: randomUUID() } } });
      expect(bought.errors?.[0]?.extensions).toMatchObject({ code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productId' });
    }
    expect(await balanceOf(gw.db.sql, holder.account)).toBe('1000.00');
  });
});
