import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import type { LicensingBody } from '../../plugins/licensing.ts';
import { businessDay, newInstitution, newProduct, type LicenceSpec } from '../support/catalogue.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { balanceOf, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

// Licensing (持牌经营) through the real HTTP handler: every purchase, and every move to ONLINE, is
// decided by licensing@1 from the licences as they are in the database on the business day.

let gw: TestGateway;
let compliance: string;
let rules: LicensingBody['data'];

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  compliance = await gw.token({ roles: ['compliance'] });
  rules = (gw.policies.store.get('licensing@1')!.file.body as LicensingBody).data;
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const PURCHASE = `mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { id type amount } }`;
const REDEEM = `mutation($input: RedeemInput!) { redeemProduct(input: $input) { id type amount } }`;
const ASSESS = `mutation($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance } }`;
const ACKNOWLEDGE = `mutation($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`;
const CHANGE = `mutation($input: ChangeProductStatusInput!) { changeProductStatus(input: $input) { from to } }`;

interface Buyer {
  id: string;
  token: string;
  account: string;
}

/** A C5 customer in `region` with ¥100,000, who has acknowledged every published disclosure of `productKey`. */
async function buyer(productKey: string, region = '110000'): Promise<Buyer> {
  const id = await newCustomer(gw.db.sql);
  await gw.db.sql`update customers set region = ${region} where id = ${id}`;
  const account = await openAccount(gw.db.sql, id, '100000.00');
  const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` });
  expect((await gw.request(ASSESS, { token, variables: { input: { answers: Array(10).fill(4) } } })).errors).toBeUndefined();
  for (const { id: disclosure } of await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${productKey} and published_at <= now()`) {
    expect((await gw.request(ACKNOWLEDGE, { token, variables: { input: { disclosureId: toGlobalId('Disclosure', disclosure) } } })).errors).toBeUndefined();
  }
  return { id, token, account };
}

const buy = (who: Buyer, productKey: string, amount = '10.00') =>
  gw.request(PURCHASE, { token: who.token, variables: { input: { productId: toGlobalId('Product', productKey), accountId: toGlobalId('Account', who.account), amount, idempotencyKey: randomUUID() } } });
const redeem = (who: Buyer, productKey: string, amount = '10.00') =>
  gw.request(REDEEM, { token: who.token, variables: { input: { productId: toGlobalId('Product', productKey), accountId: toGlobalId('Account', who.account), amount, idempotencyKey: randomUUID() } } });
const denial = (response: GraphQLResponse) => response.errors?.[0]?.extensions;

/** A FUND product between a distributor holding `distributor` and an issuer holding `issuer`. */
async function fund(distributor: LicenceSpec[], issuer: LicenceSpec[] = [{ type: 'FUND_MANAGEMENT' }], status = 'ONLINE'): Promise<string> {
  return newProduct(gw.db.sql, {
    category: 'FUND',
    distributorId: await newInstitution(gw.db.sql, 'SECURITIES_FIRM', distributor),
    issuerId: await newInstitution(gw.db.sql, 'FUND_MANAGER', issuer),
    status,
  });
}

describe('a purchase', () => {
  it('goes through when the distributor and the issuer hold licences for the category, valid today', async () => {
    const product = await fund([{ type: 'FUND_SALES' }]);
    const who = await buyer(product);
    const response = await buy(who, product);
    expect(response.errors).toBeUndefined();
    expect(response.data.purchaseProduct).toMatchObject({ type: 'PURCHASE', amount: '10.00' });
  });

  it("is refused when the distributor's licence expired yesterday, citing the policy file's rule, and moves nothing", async () => {
    const product = await fund([{ type: 'FUND_SALES', validTo: businessDay(-1) }]);
    const who = await buyer(product);
    const response = await buy(who, product);
    expect(denial(response)).toMatchObject({
      code: 'POLICY_DENIED',
      decision: { policy: 'licensing@1', reasons: [{ code: 'DISTRIBUTOR_LICENCE_EXPIRED', regulation: rules.categories.FUND!.distributor.regulation }] },
    });
    expect(await balanceOf(gw.db.sql, who.account)).toBe('100000.00');
  });

  it('goes through on the last day of a licence, and on its first', async () => {
    for (const licence of [{ type: 'FUND_SALES', validTo: businessDay(0) }, { type: 'FUND_SALES', validFrom: businessDay(0) }]) {
      const product = await fund([licence]);
      expect((await buy(await buyer(product), product)).errors).toBeUndefined();
    }
  });

  it('is refused the day before a licence takes effect', async () => {
    const product = await fund([{ type: 'FUND_SALES', validFrom: businessDay(1) }]);
    expect(denial(await buy(await buyer(product), product))).toMatchObject({ decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_NOT_YET_VALID' }] } });
  });

  it("is refused when the distributor's licence was revoked", async () => {
    const product = await fund([{ type: 'FUND_SALES', revoked: true }]);
    expect(denial(await buy(await buyer(product), product))).toMatchObject({ code: 'POLICY_DENIED', decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_REVOKED' }] } });
  });

  it("is refused when the distributor holds another business line's licence only", async () => {
    const product = await fund([{ type: 'WEALTH_MANAGEMENT' }]);
    expect(denial(await buy(await buyer(product), product))).toMatchObject({ decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_MISSING' }] } });
  });

  it("is refused to a customer outside the licence's regions, citing the region rule too", async () => {
    const product = await fund([{ type: 'FUND_SALES', regions: ['530000'] }]);
    const response = await buy(await buyer(product, '110000'), product);
    expect(denial(response)).toMatchObject({ decision: { policy: 'licensing@1', reasons: [{ code: 'DISTRIBUTOR_LICENCE_REGION_NOT_COVERED' }] } });
    expect(denial(response)!.decision.reasons[0].regulation).toContain(rules.regulations.region);
  });

  it("goes through for a customer in a district of the licence's province", async () => {
    const product = await fund([{ type: 'FUND_SALES', regions: ['310000', '320000'] }]);
    expect((await buy(await buyer(product, '310104'), product)).errors).toBeUndefined();
  });

  it('is refused when the issuer holds no licence for the category, whatever the distributor holds', async () => {
    const product = await fund([{ type: 'FUND_SALES' }], [{ type: 'FUND_SALES' }]);
    expect(denial(await buy(await buyer(product), product))).toMatchObject({
      decision: { reasons: [{ code: 'ISSUER_LICENCE_MISSING', regulation: rules.categories.FUND!.issuer.regulation }] },
    });
  });
});

describe('the demo catalogue', () => {
  it("no longer sells a fund through the rural bank whose fund-sales licence is revoked, even to a C5 customer in its province", async () => {
    const [row] = await gw.db.sql<{ id: string }[]>`
      select p.id from products p join licences l on l.institution_id = p.distributor_id and l.type = 'FUND_SALES'
       where p.category = 'FUND' and p.status = 'ONLINE' and l.revoked and l.regions = '{530000}' order by p.id limit 1`;
    expect(denial(await buy(await buyer(row!.id, '530000'), row!.id))).toMatchObject({ decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_REVOKED' }] } });
  });

  it("no longer sells insurance through a distributor whose agency licence has lapsed", async () => {
    const [row] = await gw.db.sql<{ id: string; region: string }[]>`
      select p.id, l.regions[1] as region from products p join licences l on l.institution_id = p.distributor_id and l.type = 'INSURANCE_AGENCY'
       where p.category = 'INSURANCE' and p.status = 'ONLINE' and l.valid_to < current_date
         and not exists (select 1 from licences v where v.institution_id = p.distributor_id and v.type in ('INSURANCE_AGENCY', 'INSURANCE_UNDERWRITING')
                          and not v.revoked and (v.valid_to is null or v.valid_to >= current_date))
       order by p.id limit 1`;
    expect(denial(await buy(await buyer(row!.id, row!.region), row!.id, '3000.00'))).toMatchObject({ decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_EXPIRED' }] } });
  });
});

describe('a redemption', () => {
  it('is never refused for a licence: revoked after the purchase, the customer still gets the money back', async () => {
    const product = await fund([{ type: 'FUND_SALES' }]);
    const who = await buyer(product);
    expect((await buy(who, product, '50.00')).errors).toBeUndefined();
    await gw.db.sql`update licences set revoked = true where institution_id = (select distributor_id from products where id = ${product})`;
    expect(denial(await buy(who, product))).toMatchObject({ decision: { reasons: [{ code: 'DISTRIBUTOR_LICENCE_REVOKED' }] } });
    const response = await redeem(who, product, '50.00');
    expect(response.errors).toBeUndefined();
    expect(await balanceOf(gw.db.sql, who.account)).toBe('100000.00');
  });
});

describe('a move to ONLINE', () => {
  const list = (product: string) => gw.request(CHANGE, { token: compliance, variables: { input: { productId: toGlobalId('Product', product), status: 'ONLINE' } } });

  it("is refused while the distributor's licence has lapsed, and the product stays in review", async () => {
    const product = await fund([{ type: 'FUND_SALES', validTo: businessDay(-1) }], undefined, 'IN_REVIEW');
    expect(denial(await list(product))).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'licensing@1', reasons: [{ code: 'DISTRIBUTOR_LICENCE_EXPIRED' }] } });
    const [row] = await gw.db.sql`select status from products where id = ${product}`;
    expect(row).toEqual({ status: 'IN_REVIEW' });
  });

  it('is refused while the issuer is unlicensed', async () => {
    const product = await fund([{ type: 'FUND_SALES' }], [], 'IN_REVIEW');
    expect(denial(await list(product))).toMatchObject({ decision: { reasons: [{ code: 'ISSUER_LICENCE_MISSING' }] } });
  });

  it('needs a valid licence, not one reaching any particular region', async () => {
    const product = await fund([{ type: 'FUND_SALES', regions: ['530000'] }], undefined, 'IN_REVIEW');
    expect((await list(product)).data.changeProductStatus).toEqual({ from: 'IN_REVIEW', to: 'ONLINE' });
  });
});
