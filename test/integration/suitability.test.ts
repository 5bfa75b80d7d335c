import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { businessDate } from '../../src/clock.ts';
import { keyOf, toGlobalId } from '../../src/ids.ts';
import type { DecisionStream, PolicyModule } from '../../src/policy/types.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { newInstitution, newProduct as insertProduct, publishDisclosure } from '../support/catalogue.ts';
import { waitOutCoolingOff } from '../support/cooling-off.ts';
import { expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

/*
 * suitability@2 through HTTP, with access@4, licensing and disclosure in force: every cell of the C×R table per product
 * family, the lowest category, professional investors, minors, private products with and without a
 * qualified-investor confirmation, and the special written risk warning.
 */

const streams: DecisionStream[] = [];
const recorder: PolicyModule = {
  name: 'recorder',
  engine: 'observer',
  description: 'keeps every decision stream',
  observe: { request: (stream) => void streams.push(stream) },
};

let gw: TestGateway;
afterEach(() => expectLedgerSound(gw.db.sql));

const GRADES = ['R1', 'R2', 'R3', 'R4', 'R5'] as const;
const TOLERANCES = ['C1', 'C2', 'C3', 'C4', 'C5'] as const;
const FAMILIES = {
  fund: { category: 'FUND', investmentLinked: false },
  'bank WMP': { category: 'WEALTH_MANAGEMENT', investmentLinked: false },
  'investment-linked insurance': { category: 'INSURANCE', investmentLinked: true },
} as const;
type Family = keyof typeof FAMILIES;

const PURCHASE = `mutation Buy($input: PurchaseInput!) { purchaseProduct(input: $input) { id status product { id } } }`;
const CONFIRM = `mutation Confirm($input: ConfirmQualifiedInvestorInput!) {
  confirmQualifiedInvestor(input: $input) { basis confirmedAt expiresAt confirmedBy policy } }`;

const productId = (key: string) => toGlobalId('Product', key);
const today = () => businessDate(new Date(), 'Asia/Shanghai');
const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.code;
const decisionOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.decision;

const testProducts: string[] = [];
/** A distributor licensed to sell all three families, and an issuer of each. */
let distributor: string;
const issuers = {} as Record<string, string>;

/** A product of the test's licensed institutions, with the disclosures its buyers must acknowledge. */
async function newProduct(category: string, riskLevel: string, options: { offering?: string; investmentLinked?: boolean; status?: string } = {}): Promise<string> {
  const id = await insertProduct(gw.db.sql, { category, riskLevel, issuerId: issuers[category]!, distributorId: distributor, ...options });
  if (category === 'WEALTH_MANAGEMENT') await publishDisclosure(gw.db.sql, id, 'PROSPECTUS', 1);
  testProducts.push(id);
  return id;
}

interface Investor {
  id: string;
  token: string;
  account: string;
}

/**
 * A customer holding ¥1,000,000 who has read every test product's risk disclosure, assessed
 * `tolerance` (null: never assessed), born on `birthDate`.
 */
async function investor({ tolerance = 'C5' as string | null, lowest = false, type = 'ORDINARY', birthDate = '1985-06-15' } = {}): Promise<Investor> {
  const sql = gw.db.sql;
  const id = await newCustomer(sql);
  await sql`update customers set investor_type = ${type}, birth_date = ${birthDate} where id = ${id}`;
  if (tolerance) {
    await sql`
      insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at)
      values (${id}, ${tolerance}, ${lowest}, '{1}', 0, now() - interval '1 day', now() + interval '300 days')`;
  }
  await sql`
    insert into disclosure_acknowledgements (customer_id, disclosure_id)
    select ${id}, d.id from disclosures d where d.product_id = any(${testProducts}::bigint[])`;
  const account = await openAccount(sql, id, '1000000.00');
  return { id, account, token: await gw.token({ sub: `customer-${id}`, roles: ['customer'], customerId: toGlobalId('Customer', id) }) };
}

function buy(who: Investor, product: string, confirmRiskMismatch?: boolean) {
  return gw.request(PURCHASE, {
    token: who.token,
    variables: { input: { productId: productId(product), accountId: toGlobalId('Account', who.account), amount: '1.00', idempotencyKey: randomUUID(), confirmRiskMismatch } },
  });
}

/** What a purchase came to: bought, asked to confirm the risk warning, or refused with the reason's code. */
function outcome(response: GraphQLResponse): string {
  if (!response.errors) return 'bought';
  const decision = decisionOf(response);
  if (codeOf(response) !== 'POLICY_DENIED') return String(codeOf(response));
  expect(decision.reasons[0].regulation).toEqual(expect.any(String)); // every denial cites its rule
  return decision.confirm ? `${decision.reasons[0].code}+confirm` : decision.reasons[0].code;
}

const products = {} as Record<Family, Record<(typeof GRADES)[number], string>>;
let protection: string;
let privateFund: string;
let privateWmp: string;
let suspendedPrivateFund: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 10, modules: [recorder] });
  distributor = await newInstitution(gw.db.sql, 'BANK', [{ type: 'FUND_SALES' }, { type: 'WEALTH_MANAGEMENT' }, { type: 'INSURANCE_AGENCY' }]);
  issuers.FUND = await newInstitution(gw.db.sql, 'FUND_MANAGER', [{ type: 'FUND_MANAGEMENT' }]);
  issuers.WEALTH_MANAGEMENT = await newInstitution(gw.db.sql, 'WEALTH_MANAGEMENT_CO', [{ type: 'WEALTH_MANAGEMENT' }]);
  issuers.INSURANCE = await newInstitution(gw.db.sql, 'INSURER', [{ type: 'INSURANCE_UNDERWRITING' }]);
  for (const [family, { category, investmentLinked }] of Object.entries(FAMILIES) as [Family, (typeof FAMILIES)[Family]][]) {
    products[family] = {} as Record<(typeof GRADES)[number], string>;
    for (const grade of GRADES) products[family][grade] = await newProduct(category, grade, { investmentLinked });
  }
  protection = await newProduct('INSURANCE', 'R3');
  privateFund = await newProduct('FUND', 'R4', { offering: 'PRIVATE' });
  privateWmp = await newProduct('WEALTH_MANAGEMENT', 'R2', { offering: 'PRIVATE' });
  suspendedPrivateFund = await newProduct('FUND', 'R3', { offering: 'PRIVATE', status: 'SUSPENDED' });
});
afterAll(() => gw?.close());

/** Each family's row of outcomes for one customer, R1…R5. */
async function row(who: Investor, confirm?: boolean): Promise<Record<Family, string[]>> {
  const result = {} as Record<Family, string[]>;
  for (const family of Object.keys(FAMILIES) as Family[]) {
    result[family] = [];
    for (const grade of GRADES) result[family].push(outcome(await buy(who, products[family][grade], confirm)));
  }
  return result;
}

describe('the C×R table, per product family', () => {
  it('sells an ordinary investor every grade up to their class, and above it asks to confirm a fund but refuses bank WMP and investment-linked insurance', async () => {
    const table = await Promise.all(TOLERANCES.map(async (tolerance) => row(await investor({ tolerance }))));
    const expected = TOLERANCES.map((_, i) => ({
      fund: GRADES.map((_, j) => (j <= i ? 'bought' : 'RISK_LEVEL_ABOVE_TOLERANCE+confirm')),
      'bank WMP': GRADES.map((_, j) => (j <= i ? 'bought' : 'RISK_LEVEL_ABOVE_TOLERANCE')),
      'investment-linked insurance': GRADES.map((_, j) => (j <= i ? 'bought' : 'RISK_LEVEL_ABOVE_TOLERANCE')),
    }));
    expect(table).toEqual(expected);
  });

  it('sells the lowest category R1 only, in every family, even when it confirms the risk warning', async () => {
    const refused = ['LOWEST_CATEGORY_ABOVE_R1', 'LOWEST_CATEGORY_ABOVE_R1', 'LOWEST_CATEGORY_ABOVE_R1', 'LOWEST_CATEGORY_ABOVE_R1'];
    expect(await row(await investor({ tolerance: 'C1', lowest: true }), true)).toEqual({
      fund: ['bought', ...refused],
      'bank WMP': ['bought', ...refused],
      'investment-linked insurance': ['bought', ...refused],
    });
  });

  it('sells a professional investor any fund, but bank WMP and investment-linked insurance only up to their assessment, with no override (S14)', async () => {
    const above = ['RISK_LEVEL_ABOVE_TOLERANCE', 'RISK_LEVEL_ABOVE_TOLERANCE', 'RISK_LEVEL_ABOVE_TOLERANCE'];
    expect(await row(await investor({ tolerance: 'C2', type: 'PROFESSIONAL' }), true)).toEqual({
      fund: ['bought', 'bought', 'bought', 'bought', 'bought'],
      'bank WMP': ['bought', 'bought', ...above],
      'investment-linked insurance': ['bought', 'bought', ...above],
    });
  });

  it('leaves protection insurance outside suitability: bought without any risk assessment', async () => {
    const unassessed = await investor({ tolerance: null });
    expect(outcome(await buy(unassessed, protection))).toBe('bought');
    expect(outcome(await buy(unassessed, products['investment-linked insurance'].R1))).toBe('RISK_ASSESSMENT_REQUIRED');
  });
});

describe('minors (S11)', () => {
  /** The birth date of someone who turns 18 `days` days after the business day. */
  const eighteenIn = (days: number) => {
    const [y, m, d] = today().split('-').map(Number) as [number, number, number];
    return new Date(Date.UTC(y - 18, m - 1, d + days)).toISOString().slice(0, 10);
  };

  it('treats a customer who turns 18 tomorrow as the lowest category, whatever their assessment, and sells them R1', async () => {
    const minor = await investor({ tolerance: 'C5', birthDate: eighteenIn(1) });
    expect(outcome(await buy(minor, products.fund.R1))).toBe('bought');
    expect(outcome(await buy(minor, products.fund.R2, true))).toBe('MINOR_LOWEST_CATEGORY');
    expect(outcome(await buy(minor, products['bank WMP'].R3))).toBe('MINOR_LOWEST_CATEGORY');
  });

  it('sells a customer who turns 18 today by their assessment', async () => {
    const adult = await investor({ tolerance: 'C5', birthDate: eighteenIn(0) });
    expect(outcome(await buy(adult, products.fund.R5))).toBe('bought');
  });

  it("decides with the customer's age in whole years, never their birth date (facts are recorded)", async () => {
    const minor = await investor({ tolerance: 'C5', birthDate: eighteenIn(1) });
    await buy(minor, products.fund.R2);
    const decision = streams.flatMap((s) => s.decisions).findLast((d) => d.action === 'product.purchase' && d.input.facts?.customer);
    const facts = decision!.input.facts as { customer: Record<string, unknown> };
    expect(facts.customer).toMatchObject({ id: minor.id, age: 17 });
    expect(JSON.stringify(facts)).not.toContain(eighteenIn(1));
    expect(Object.keys(facts.customer)).not.toContain('birthDate');
  });
});

describe('the special written risk warning (适当性办法 第19条)', () => {
  it('names the version of the warning it asks to confirm, then sells on confirmation and raises SUITABILITY_OVERRIDE', async () => {
    const who = await investor({ tolerance: 'C2' });
    const asked = await buy(who, products.fund.R4);
    expect(decisionOf(asked)).toMatchObject({
      policy: 'suitability@2',
      reasons: [{ code: 'RISK_LEVEL_ABOVE_TOLERANCE', regulation: '证券期货投资者适当性管理办法 第19条' }],
      confirm: [{ code: 'CONFIRM_RISK_MISMATCH', ref: 'SRW-2026-01', regulation: '证券期货投资者适当性管理办法 第19条' }],
    });
    const warning = decisionOf(asked).confirm[0].message as string;
    // the warning is the policy's text for this purchase, carrying its version
    expect(warning).toContain('SRW-2026-01');
    expect(warning).toContain('R4');
    expect(warning).toContain('C2');

    const confirmed = await buy(who, products.fund.R4, true);
    expect(confirmed.errors).toBeUndefined();
    const [alert] = await gw.db.sql<{ kind: string; reason: string }[]>`
      select kind, reason from risk_alerts where transaction_id = ${keyOf(confirmed.data.purchaseProduct.id, 'Transaction')}`;
    expect(alert).toMatchObject({ kind: 'SUITABILITY_OVERRIDE' });
    expect(alert!.reason).toContain('SRW-2026-01');
  });
});

describe('private products (私募条例 第18条、第20条; S13)', () => {
  const LIST = `{ products(first: 100) { totalCount edges { node { id offering } } } }`;
  const ONE = `query($id: ID!) { product(id: $id) { id offering } }`;
  const NODE = `query($id: ID!) { node(id: $id) { id ... on Product { offering } } }`;

  /** Whether a customer sees a product in `products`, `product(id:)` and `node(id:)`: three answers that must agree. */
  async function sees(who: Investor, product: string): Promise<boolean[]> {
    const list = await gw.request(LIST, { token: who.token });
    const one = await gw.request(ONE, { token: who.token, variables: { id: productId(product) } });
    const node = await gw.request(NODE, { token: who.token, variables: { id: productId(product) } });
    expect(list.errors).toBeUndefined();
    for (const single of [one, node]) if (single.errors) expect(codeOf(single)).toBe('NOT_FOUND');
    return [list.data.products.edges.some((e: any) => e.node.id === productId(product)), Boolean(one.data?.product), Boolean(node.data?.node)];
  }

  async function advisorOf(who: Investor): Promise<string> {
    const [c] = await gw.db.sql<{ institutionId: string }[]>`select institution_id from customers where id = ${who.id}`;
    return gw.token({ sub: 'advisor-1', roles: ['advisor'], institutionId: toGlobalId('Institution', c!.institutionId) });
  }

  function confirm(token: string, who: Investor, input: Partial<Record<string, unknown>> = {}) {
    const validUntil = new Date(Date.parse(`${today()}T00:00:00Z`) + 180 * 86_400_000).toISOString().slice(0, 10);
    return gw.request(CONFIRM, {
      token,
      variables: { input: { customerId: toGlobalId('Customer', who.id), basis: 'FINANCIAL_ASSETS', amount: '3000000.00', evidence: 'asset certificate ZC-2026-0001', validUntil, ...input } },
    });
  }

  it('are invisible to a customer who is not a qualified investor, in products, product(id:) and node(id:), and refused to them', async () => {
    const who = await investor({ tolerance: 'C5' });
    expect(await sees(who, privateFund)).toEqual([false, false, false]);
    expect(await sees(who, privateWmp)).toEqual([false, false, false]);
    expect(await sees(who, products.fund.R5)).toEqual([true, true, true]);
    const refused = await buy(who, privateFund, true);
    expect(outcome(refused)).toBe('QUALIFIED_INVESTOR_REQUIRED');
    expect(decisionOf(refused).reasons[0].regulation).toMatch(/私募投资基金监督管理条例/);
    const [held] = await gw.db.sql`select 1 from positions where customer_id = ${who.id}`;
    expect(held).toBeUndefined();
  });

  it('stay listed for staff', async () => {
    const compliance = await gw.token({ roles: ['compliance'] });
    const list = await gw.request(LIST, { token: compliance });
    const offerings = list.data.products.edges.map((e: any) => e.node.offering);
    expect(offerings).toContain('PRIVATE');
  });

  it('become visible and buyable once an advisor confirms the customer from evidence at the threshold, which is recorded with who, when and the policy', async () => {
    const who = await investor({ tolerance: 'C5' });
    const advisor = await advisorOf(who);
    const confirmed = await confirm(advisor, who);
    expect(confirmed.errors).toBeUndefined();
    expect(confirmed.data.confirmQualifiedInvestor).toMatchObject({ confirmedBy: 'advisor-1', policy: 'suitability@2' });
    const [record] = await gw.db.sql<{ basis: string; amount: string; policySha256: string }[]>`
      select basis, amount, policy_sha256 from qualified_investor_confirmations where customer_id = ${who.id}`;
    expect(record).toMatchObject({ basis: 'FINANCIAL_ASSETS', amount: '3000000.00', policySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    expect(await sees(who, privateFund)).toEqual([true, true, true]);
    expect(outcome(await buy(who, privateFund))).toBe('bought');
    expect(outcome(await buy(who, privateWmp))).toBe('bought');
    const me = await gw.request(`{ me { qualifiedInvestor { basis expiresAt } } }`, { token: who.token });
    expect(me.data.me.qualifiedInvestor).toMatchObject({ basis: 'FINANCIAL_ASSETS' });
  });

  it('stay hidden from a qualified investor while they are not on sale', async () => {
    const who = await investor({ tolerance: 'C5' });
    expect((await confirm(await advisorOf(who), who)).errors).toBeUndefined();
    expect(await sees(who, suspendedPrivateFund)).toEqual([false, false, false]);
  });

  it('still match a qualified investor by their risk tolerance', async () => {
    const who = await investor({ tolerance: 'C3' });
    expect((await confirm(await advisorOf(who), who, { basis: 'AVERAGE_INCOME', amount: '500000.00' })).errors).toBeUndefined();
    expect(outcome(await buy(who, privateFund))).toBe('RISK_LEVEL_ABOVE_TOLERANCE+confirm');
  });

  it('refuse evidence a cent below the threshold, or valid for more than a year, and record nothing', async () => {
    const who = await investor({ tolerance: 'C5' });
    const advisor = await advisorOf(who);
    const poor = await confirm(advisor, who, { amount: '2999999.99' });
    expect(codeOf(poor)).toBe('POLICY_DENIED');
    expect(decisionOf(poor)).toMatchObject({ policy: 'suitability@2', reasons: [{ code: 'QUALIFIED_INVESTOR_THRESHOLD_NOT_MET', regulation: expect.any(String) }] });
    const validUntil = new Date(Date.parse(`${today()}T00:00:00Z`) + 366 * 86_400_000).toISOString().slice(0, 10);
    expect(decisionOf(await confirm(advisor, who, { validUntil })).reasons[0].code).toBe('QUALIFICATION_VALIDITY_INVALID');
    const [count] = await gw.db.sql<{ n: number }[]>`select count(*)::int as n from qualified_investor_confirmations where customer_id = ${who.id}`;
    expect(count!.n).toBe(0);
    expect(await sees(who, privateFund)).toEqual([false, false, false]);
  });

  it('are confirmed by an advisor of the customer’s institution only, never by the customer themselves', async () => {
    const who = await investor({ tolerance: 'C5' });
    const [other] = await gw.db.sql<{ id: string }[]>`
      select id from institutions where id <> (select institution_id from customers where id = ${who.id}) order by id limit 1`;
    const stranger = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', other!.id) });
    expect(codeOf(await confirm(stranger, who))).toBe('NOT_FOUND');
    expect(codeOf(await confirm(who.token, who))).toBe('POLICY_DENIED');
    expect(await sees(who, privateFund)).toEqual([false, false, false]);
  });

  it('are hidden again and refused once the confirmation has lapsed', async () => {
    const who = await investor({ tolerance: 'C5' });
    await gw.db.sql`
      insert into qualified_investor_confirmations (customer_id, basis, amount, evidence, confirmed_by, confirmed_at, expires_at, policy, policy_sha256)
      values (${who.id}, 'FINANCIAL_ASSETS', 5000000, 'asset certificate', 'advisor-1', now() - interval '400 days', now() - interval '1 second',
              'suitability@2', ${'0'.repeat(64)})`;
    expect(await sees(who, privateFund)).toEqual([false, false, false]);
    expect(outcome(await buy(who, privateFund))).toBe('QUALIFIED_INVESTOR_REQUIRED');
  });

  it('stay visible to a holder whose qualification lapsed, who may redeem but not buy more', async () => {
    const who = await investor({ tolerance: 'C5' });
    await gw.db.sql`
      insert into qualified_investor_confirmations (customer_id, basis, amount, evidence, confirmed_by, confirmed_at, expires_at, policy, policy_sha256)
      values (${who.id}, 'FINANCIAL_ASSETS', 5000000, 'asset certificate', 'advisor-1', now(), now() + interval '2 seconds', 'suitability@2', ${'0'.repeat(64)})`;
    const bought = await buy(who, privateWmp);
    expect(outcome(bought)).toBe('bought');
    // the customer holds it once its cooling-off period is over (cooling-off@1)
    await waitOutCoolingOff(gw, keyOf(bought.data.purchaseProduct.id, 'Transaction'));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await sees(who, privateWmp)).toEqual([true, true, true]);
    expect(outcome(await buy(who, privateWmp))).toBe('QUALIFIED_INVESTOR_REQUIRED');
    const redeemed = await gw.request(`mutation($input: RedeemInput!) { redeemProduct(input: $input) { status } }`, {
      token: who.token,
      variables: { input: { productId: productId(privateWmp), accountId: toGlobalId('Account', who.account), amount: '1.00', idempotencyKey: randomUUID() } },
    });
    expect(redeemed.errors).toBeUndefined();
  });

  it('keep their confirmations as evidence: the database refuses to change or delete one', async () => {
    const who = await investor({ tolerance: 'C5' });
    expect((await confirm(await advisorOf(who), who)).errors).toBeUndefined();
    await expect(gw.db.sql`update qualified_investor_confirmations set amount = 1 where customer_id = ${who.id}`).rejects.toMatchObject({ code: '42501' });
    await expect(gw.db.sql`delete from qualified_investor_confirmations where customer_id = ${who.id}`).rejects.toMatchObject({ code: '42501' });
    await expect(gw.asOwner((sql) => sql`delete from qualified_investor_confirmations where customer_id = ${who.id}`)).rejects.toMatchObject({ code: '42501' });
  });
});
