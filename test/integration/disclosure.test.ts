import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisclosureBody } from '../../plugins/disclosure.ts';
import { toGlobalId } from '../../src/ids.ts';
import { newInstitution, newProduct, publishDisclosure } from '../support/catalogue.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { balanceOf, newCustomer, openAccount } from '../support/ledger.ts';

// Disclosure through the real HTTP handler: a purchase needs the current version of the required
// disclosures acknowledged, an acknowledgement records the content's hash, and a published
// disclosure never changes.

let gw: TestGateway;
let compliance: string;
let kinds: DisclosureBody['data']['kinds'];
let banks: { issuer: string; distributor: string };

beforeAll(async () => {
  gw = await startGateway({ customers: 5 });
  compliance = await gw.token({ roles: ['compliance'] });
  kinds = (gw.policies.store.get('disclosure@1')!.file.body as DisclosureBody).data.kinds;
  // a wealth-management company and the bank that sells its products, both licensed nationwide
  banks = {
    issuer: await newInstitution(gw.db.sql, 'WEALTH_MANAGEMENT_CO', [{ type: 'WEALTH_MANAGEMENT' }]),
    distributor: await newInstitution(gw.db.sql, 'BANK', [{ type: 'WEALTH_MANAGEMENT' }, { type: 'FUND_SALES' }]),
  };
});
afterAll(() => gw?.close());

const PURCHASE = `mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { id } }`;
const ASSESS = `mutation($input: RiskAssessmentInput!) { submitRiskAssessment(input: $input) { tolerance } }`;
const ACKNOWLEDGE = `mutation($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { contentSha256 disclosure { id version sha256 } } }`;

interface Buyer {
  id: string;
  token: string;
  account: string;
}

/** A C5 customer with ¥100,000 who has acknowledged nothing. */
async function buyer(): Promise<Buyer> {
  const id = await newCustomer(gw.db.sql);
  const account = await openAccount(gw.db.sql, id, '100000.00');
  const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` });
  expect((await gw.request(ASSESS, { token, variables: { input: { answers: Array(10).fill(4) } } })).errors).toBeUndefined();
  return { id, token, account };
}

/** A product of `category` whose issuer and distributor are licensed for it, with a published risk disclosure v1. */
async function product(category = 'WEALTH_MANAGEMENT'): Promise<{ id: string; risk: string }> {
  const issuer = category === 'FUND' ? await newInstitution(gw.db.sql, 'FUND_MANAGER', [{ type: 'FUND_MANAGEMENT' }]) : banks.issuer;
  const id = await newProduct(gw.db.sql, { category, issuerId: issuer, distributorId: banks.distributor, riskDisclosure: false });
  return { id, risk: await publishDisclosure(gw.db.sql, id, 'RISK_DISCLOSURE', 1) };
}

const acknowledge = (who: Buyer, disclosure: string) => gw.request(ACKNOWLEDGE, { token: who.token, variables: { input: { disclosureId: toGlobalId('Disclosure', disclosure) } } });
const buy = (who: Buyer, productKey: string) =>
  gw.request(PURCHASE, { token: who.token, variables: { input: { productId: toGlobalId('Product', productKey), accountId: toGlobalId('Account', who.account), amount: '10.00', idempotencyKey: randomUUID() } } });
const reasons = (response: GraphQLResponse) => response.errors?.[0]?.extensions.decision?.reasons as { code: string; message: string; regulation: string }[] | undefined;

describe('a purchase', () => {
  it('is refused until the customer acknowledges the current risk disclosure, naming it and citing the policy file', async () => {
    const fund = await product('FUND');
    const who = await buyer();
    const refused = await buy(who, fund.id);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'POLICY_DENIED',
      decision: { policy: 'disclosure@1', reasons: [{ code: 'DISCLOSURE_NOT_ACKNOWLEDGED', regulation: kinds.RISK_DISCLOSURE!.regulation }] },
    });
    // the denial names the disclosure to acknowledge by the id the API uses
    expect(reasons(refused)![0]!.message).toContain(toGlobalId('Disclosure', fund.risk));
    expect(refused.errors?.[0]?.message).toContain(toGlobalId('Disclosure', fund.risk));
    expect(await balanceOf(gw.db.sql, who.account)).toBe('100000.00');

    expect((await acknowledge(who, fund.risk)).errors).toBeUndefined();
    expect((await buy(who, fund.id)).errors).toBeUndefined();
  });

  it('needs a new acknowledgement once a new version is published', async () => {
    const fund = await product('FUND');
    const who = await buyer();
    await acknowledge(who, fund.risk);
    expect((await buy(who, fund.id)).errors).toBeUndefined();
    const v2 = await publishDisclosure(gw.db.sql, fund.id, 'RISK_DISCLOSURE', 2);
    const refused = await buy(who, fund.id);
    expect(reasons(refused)).toMatchObject([{ code: 'DISCLOSURE_NOT_ACKNOWLEDGED' }]);
    expect(reasons(refused)![0]!.message).toContain(toGlobalId('Disclosure', v2));
    await acknowledge(who, v2);
    expect((await buy(who, fund.id)).errors).toBeUndefined();
  });

  it('is not held up by a version scheduled for later', async () => {
    const fund = await product('FUND');
    const who = await buyer();
    await acknowledge(who, fund.risk);
    await publishDisclosure(gw.db.sql, fund.id, 'RISK_DISCLOSURE', 2, new Date(Date.now() + 86_400_000));
    expect((await buy(who, fund.id)).errors).toBeUndefined();
  });

  it('of a bank wealth-management product also needs its product description acknowledged, and names every missing one', async () => {
    const wmp = await product('WEALTH_MANAGEMENT');
    const prospectus = await publishDisclosure(gw.db.sql, wmp.id, 'PROSPECTUS', 1);
    const who = await buyer();
    expect(reasons(await buy(who, wmp.id))).toMatchObject([
      { code: 'DISCLOSURE_NOT_ACKNOWLEDGED', regulation: kinds.RISK_DISCLOSURE!.regulation },
      { code: 'DISCLOSURE_NOT_ACKNOWLEDGED', regulation: kinds.PROSPECTUS!.regulation },
    ]);
    await acknowledge(who, wmp.risk);
    const refused = await buy(who, wmp.id);
    expect(reasons(refused)).toMatchObject([{ code: 'DISCLOSURE_NOT_ACKNOWLEDGED', regulation: kinds.PROSPECTUS!.regulation }]);
    expect(reasons(refused)![0]!.message).toContain(toGlobalId('Disclosure', prospectus));
    await acknowledge(who, prospectus);
    expect((await buy(who, wmp.id)).errors).toBeUndefined();
  });

  it('is refused while the product has no published risk disclosure', async () => {
    const id = await newProduct(gw.db.sql, { category: 'WEALTH_MANAGEMENT', issuerId: banks.issuer, distributorId: banks.distributor, riskDisclosure: false });
    const prospectus = await publishDisclosure(gw.db.sql, id, 'PROSPECTUS', 1);
    const who = await buyer();
    await acknowledge(who, prospectus);
    expect(reasons(await buy(who, id))).toMatchObject([{ code: 'DISCLOSURE_NOT_PUBLISHED' }]);
  });
});

describe('an acknowledgement', () => {
  it("records the sha256 of the disclosure's content, which the API shows on both", async () => {
    const fund = await product('FUND');
    const who = await buyer();
    const response = await acknowledge(who, fund.risk);
    const [{ body }] = await gw.db.sql<[{ body: string }]>`select body from disclosures where id = ${fund.risk}`;
    const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
    expect(response.data.acknowledgeDisclosure).toEqual({ contentSha256: sha256, disclosure: { id: toGlobalId('Disclosure', fund.risk), version: 1, sha256 } });
    const [row] = await gw.db.sql`select content_sha256 from disclosure_acknowledgements where customer_id = ${who.id} and disclosure_id = ${fund.risk}`;
    expect(row).toEqual({ contentSha256: sha256 });
  });

  it('recorded before contents were hashed no longer counts; acknowledging again records one that does', async () => {
    const fund = await product('FUND');
    const who = await buyer();
    // as an acknowledgement from before migration 0007 was left
    await gw.db.sql`alter table disclosure_acknowledgements disable trigger disclosure_acknowledgements_content`;
    try {
      await gw.db.sql`insert into disclosure_acknowledgements (customer_id, disclosure_id, acknowledged_at) values (${who.id}, ${fund.risk}, now())`;
    } finally {
      await gw.db.sql`alter table disclosure_acknowledgements enable trigger disclosure_acknowledgements_content`;
    }
    expect(reasons(await buy(who, fund.id))).toMatchObject([{ code: 'DISCLOSURE_NOT_ACKNOWLEDGED' }]);
    expect((await acknowledge(who, fund.risk)).data.acknowledgeDisclosure.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await buy(who, fund.id)).errors).toBeUndefined();
    const rows = await gw.db.sql`select content_sha256 is not null as hashed from disclosure_acknowledgements where customer_id = ${who.id} order by id`;
    expect(rows).toEqual([{ hashed: false }, { hashed: true }]);
  });
});

describe('a published disclosure', () => {
  it('cannot be changed or removed: the database refuses', async () => {
    const fund = await product('FUND');
    for (const statement of [
      gw.db.sql`update disclosures set body = '本产品无风险' where id = ${fund.risk}`,
      gw.db.sql`update disclosures set published_at = now() + interval '1 day' where id = ${fund.risk}`,
      gw.db.sql`delete from disclosures where id = ${fund.risk}`,
    ]) {
      await expect(statement).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('may be corrected before it is published, and its hash follows the correction', async () => {
    const fund = await product('FUND');
    const scheduled = await publishDisclosure(gw.db.sql, fund.id, 'RISK_DISCLOSURE', 2, new Date(Date.now() + 86_400_000));
    await gw.db.sql`update disclosures set body = '修订后的风险揭示' where id = ${scheduled}`;
    const [row] = await gw.db.sql`select content_sha256 from disclosures where id = ${scheduled}`;
    expect(row).toEqual({ contentSha256: createHash('sha256').update('修订后的风险揭示', 'utf8').digest('hex') });
  });
});

describe('a move to ONLINE', () => {
  it('is refused while the product has no published risk disclosure, and allowed once one is', async () => {
    const id = await newProduct(gw.db.sql, { category: 'WEALTH_MANAGEMENT', issuerId: banks.issuer, distributorId: banks.distributor, status: 'IN_REVIEW', riskDisclosure: false });
    const list = () => gw.request(`mutation($input: ChangeProductStatusInput!) { changeProductStatus(input: $input) { to } }`, {
      token: compliance,
      variables: { input: { productId: toGlobalId('Product', id), status: 'ONLINE' } },
    });
    expect((await list()).errors?.[0]?.extensions).toMatchObject({
      code: 'POLICY_DENIED',
      decision: { policy: 'disclosure@1', reasons: [{ code: 'DISCLOSURE_NOT_PUBLISHED', regulation: kinds.RISK_DISCLOSURE!.regulation }] },
    });
    await publishDisclosure(gw.db.sql, id, 'RISK_DISCLOSURE', 1, new Date(Date.now() + 86_400_000));
    expect((await list()).errors?.[0]?.extensions.decision.reasons[0].code).toBe('DISCLOSURE_NOT_PUBLISHED');
    await publishDisclosure(gw.db.sql, id, 'RISK_DISCLOSURE', 2);
    expect((await list()).data.changeProductStatus).toEqual({ to: 'ONLINE' });
  });
});
