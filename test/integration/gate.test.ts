import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factProviders } from '../../src/data/facts.ts';
import { toGlobalId } from '../../src/ids.ts';
import { loadModules } from '../../src/policy/modules.ts';
import type { DecisionStream, PolicyModule } from '../../src/policy/types.ts';
import type postgres from 'postgres';
import { newInstitution, newProduct } from '../support/catalogue.ts';
import { startGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';

// The gate decides every read of records under the read action of their own type, hands permits
// only it can make, and reports every decision of a request to observers, whole.

/** A test observer: the decision streams of every request, and of every write's transaction. */
function recorder() {
  const requests: DecisionStream[] = [];
  const transactions: DecisionStream[] = [];
  const state = { failing: false };
  const module: PolicyModule = {
    name: 'recorder',
    engine: 'observer',
    description: 'keeps every decision stream',
    observe: {
      request: (stream) => void requests.push(stream),
      // while `failing`, it cannot build its rows: it throws before sending anything, as a hook may
      transaction: (_tx, stream) => {
        if (state.failing) throw new Error('the recorder cannot build its rows');
        transactions.push(stream);
        return Promise.resolve();
      },
    },
  };
  return { module, requests, transactions, state, last: () => requests.at(-1)! };
}

const observer = recorder();
let gw: TestGateway;
let dir: string;
let compliance: string;

beforeAll(async () => {
  dir = await copyOfPolicies();
  // a module from outside src/ and plugins/, registered the way FINGATE_PLUGINS does it
  const outside = await loadModules([fileURLToPath(new URL('../fixtures/plugins/freeze/index.ts', import.meta.url))], { facts: new Set(Object.keys(factProviders)) });
  await mkdir(join(dir, 'freeze'));
  await writeFile(
    join(dir, 'freeze', 'freeze.v1.yaml'),
    `module: freeze\nversion: 1\neffectiveFrom: "2026-01-01T00:00:00+08:00"\ndescription: transfers frozen\nregulations: []\nengine: data\n` +
      `actions: [account.transfer]\nreason: { code: TRANSFERS_FROZEN, message: Transfers are frozen, regulation: null }\n`,
  );
  gw = await startGateway({ customers: 20, policiesDir: dir, modules: [observer.module, ...outside] });
  compliance = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());

const keyOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1]!;
const byAction = (stream: DecisionStream) => Object.fromEntries(stream.decisions.map((d) => [d.action, d]));

describe('a module registered from outside src/ and plugins/', () => {
  it('denies the action its file names, with its reason, and leaves every other action alone', async () => {
    const who = await newCustomer(gw.db.sql);
    const [from, to] = [await openAccount(gw.db.sql, who, '100.00'), await openAccount(gw.db.sql, who, '0')];
    const token = await gw.customerToken(who);
    const response = await gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, {
      token,
      variables: { input: { fromAccountId: toGlobalId('Account', from), toAccountId: toGlobalId('Account', to), amount: '1.00', idempotencyKey: randomUUID() } },
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'freeze@1', reasons: [{ code: 'TRANSFERS_FROZEN' }] } });
    expect((await gw.request(`{ me { id } }`, { token })).data.me.id).toBe(toGlobalId('Customer', who));
  });
});

describe('the decision stream', () => {
  it('covers a three-level query: one record per action, the rows each returned, every field path', async () => {
    const response = await gw.request(
      `{ customers(first: 3) { edges { node { id name transactions(first: 2) { edges { node { amount product { name issuer { name } } } } } } } } }`,
      { token: compliance, purpose: 'risk-control' },
    );
    expect(response.errors).toBeUndefined();
    const decisions = byAction(observer.last());
    expect(Object.keys(decisions).sort()).toEqual(['customer.read', 'institution.read', 'product.read', 'purpose.declare', 'transaction.read']);

    const customers = response.data.customers.edges.map((e: any) => e.node);
    const transactions = customers.flatMap((c: any) => c.transactions.edges.map((e: any) => e.node));
    expect([...decisions['customer.read']!.resourceIds].sort()).toEqual(customers.map((c: any) => keyOf(c.id)).sort());
    expect(decisions['transaction.read']!.resourceIds).toHaveLength(transactions.length);
    expect(decisions['customer.read']!.fieldPaths).toEqual(expect.arrayContaining(['customers', 'customers.edges.node.id', 'customers.edges.node.name']));
    expect([...decisions['transaction.read']!.fieldPaths].sort()).toEqual(['customers.edges.node.transactions', 'customers.edges.node.transactions.edges.node.amount']);
    expect([...decisions['product.read']!.fieldPaths].sort()).toEqual([
      'customers.edges.node.transactions.edges.node.product',
      'customers.edges.node.transactions.edges.node.product.name',
    ]);
    expect([...decisions['institution.read']!.fieldPaths].sort()).toEqual([
      'customers.edges.node.transactions.edges.node.product.issuer',
      'customers.edges.node.transactions.edges.node.product.issuer.name',
    ]);
    // the declared purpose was decided once, as one the caller's role may declare
    expect(decisions['purpose.declare']).toMatchObject({ outcome: 'allow', input: { purpose: 'risk-control' } });
    for (const decision of Object.values(decisions)) expect(decision.outcome).toBe('allow');
    expect(decisions['customer.read']!.verdicts.map((v) => v.policy)).toContain('access@4');
    expect(observer.last()).toMatchObject({ principal: { roles: ['compliance'] }, purpose: 'risk-control', operationName: null });
  });

  it('covers a node lookup under the action its id names, and the relation under its own', async () => {
    const [row] = await gw.db.sql<{ id: string }[]>`select customer_id as id from risk_assessments order by id limit 1`;
    const response = await gw.request(`query Lookup($id: ID!) { node(id: $id) { id ... on Customer { idNumber riskProfile { tolerance } } } }`, {
      token: compliance,
      purpose: 'risk-control',
      variables: { id: toGlobalId('Customer', row!.id) },
    });
    expect(response.errors).toBeUndefined();
    const decisions = byAction(observer.last());
    expect(Object.keys(decisions).sort()).toEqual(['customer.read', 'purpose.declare', 'riskProfile.read']);
    expect(decisions['customer.read']).toMatchObject({ resourceIds: [row!.id], masked: ['node.idNumber'], hidden: [] });
    expect([...decisions['customer.read']!.fieldPaths].sort()).toEqual(['node', 'node.idNumber']);
    expect([...decisions['riskProfile.read']!.fieldPaths].sort()).toEqual(['node.riskProfile', 'node.riskProfile.tolerance']);
    expect(observer.last().operationName).toBe('Lookup');
    expect(observer.last().operationHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('covers a write: its decision on the record inside its transaction, with the facts it read, and its payload read again', async () => {
    const who = await newCustomer(gw.db.sql);
    const accountKey = await openAccount(gw.db.sql, who, '10.00');
    const [disclosure] = await gw.db.sql<{ id: string }[]>`select id from disclosures where published_at <= now() order by id limit 1`;
    const before = observer.transactions.length;
    const response = await gw.request(`mutation Ack($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`, {
      token: await gw.customerToken(who),
      variables: { input: { disclosureId: toGlobalId('Disclosure', disclosure!.id) } },
    });
    expect(response.errors).toBeUndefined();
    expect(observer.transactions).toHaveLength(before + 1);
    const [inside] = observer.transactions.at(-1)!.decisions;
    expect(inside).toMatchObject({ action: 'disclosure.acknowledge', resourceType: 'Customer', resourceIds: [who], outcome: 'allow' });
    expect(inside!.input.facts).toMatchObject({ customer: { id: who } });
    const decisions = observer.last().decisions;
    expect(decisions.filter((d) => d.action === 'disclosure.acknowledge').map((d) => d.inTransaction).sort()).toEqual([false, true]);
    const payload = decisions.find((d) => d.action === 'acknowledgement.read')!;
    expect(payload.resourceIds).toHaveLength(1);
    expect(payload.fieldPaths).toEqual(['acknowledgeDisclosure.acknowledgedAt']);
    expect(accountKey).toBeTruthy();
  });

  it('keeps a denied write as an attempt that never reached a transaction', async () => {
    const who = await newCustomer(gw.db.sql);
    const [from, to] = [await openAccount(gw.db.sql, who, '5.00'), await openAccount(gw.db.sql, who, '0')];
    await gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, {
      token: await gw.customerToken(who),
      variables: { input: { fromAccountId: toGlobalId('Account', from), toAccountId: toGlobalId('Account', to), amount: '1.00', idempotencyKey: randomUUID() } },
    });
    const denied = observer.last().decisions.find((d) => d.action === 'account.transfer')!;
    expect(denied).toMatchObject({ outcome: 'deny', inTransaction: false, verdicts: expect.arrayContaining([expect.objectContaining({ policy: 'freeze@1', effect: 'deny' })]) });
  });
});

describe('relations are decided under their own read action', () => {
  beforeAll(async () => {
    // access@5: advisors no longer read risk profiles; customers no longer read licences
    await writeAccessV5(
      dir,
      `
  - effect: deny
    roles: [advisor]
    actions: [riskProfile.read]
    subject: RiskProfile
    reason: { code: PROFILES_WITHHELD, message: Advisors do not see risk profiles, regulation: null }
  - effect: deny
    roles: [customer]
    actions: [licence.read]
    subject: Licence
`,
    );
    await gw.policies.store.reload();
    await gw.policies.activate({ module: 'access', version: 5, mode: 'ENFORCE', by: 'test' });
  });
  afterAll(() => gw.policies.activate({ module: 'access', version: 4, mode: 'ENFORCE', by: 'test' }));

  it("denies a customer's risk profile to an advisor who may read the customer", async () => {
    const [row] = await gw.db.sql<{ id: string; institutionId: string }[]>`
      select c.id, c.institution_id from customers c join risk_assessments r on r.customer_id = c.id order by c.id limit 1`;
    const advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', row!.institutionId) });
    const response = await gw.request(`query($id: ID!) { customer(id: $id) { id riskProfile { tolerance } } }`, {
      token: advisor,
      variables: { id: toGlobalId('Customer', row!.id) },
    });
    expect(response.data.customer).toEqual({ id: toGlobalId('Customer', row!.id), riskProfile: null });
    expect(response.errors?.[0]).toMatchObject({ path: ['customer', 'riskProfile'], extensions: { code: 'POLICY_DENIED', decision: { policy: 'access@5' } } });
  });

  it("denies an institution's licences to a customer who may read the institution", async () => {
    const token = await gw.customerToken((await gw.db.sql<{ id: string }[]>`select id from customers order by id limit 1`)[0]!.id);
    const response = await gw.request(`{ products(first: 1) { edges { node { distributor { name licenses { number } } } } } }`, { token });
    // the non-null chain up from licenses leaves no data at all: nothing of the institution leaks
    expect(response.data).toBeNull();
    expect(response.errors?.[0]).toMatchObject({ path: ['products', 'edges', 0, 'node', 'distributor', 'licenses'], extensions: { code: 'POLICY_DENIED' } });
  });
});

// PGlite serves one connection: holding it in a test transaction would stall the gateway itself
/** A C5 customer with ¥100,000, an R5 fund they may buy (licensed, its disclosure acknowledged), and their token. */
async function buyer() {
  const who = await newCustomer(gw.db.sql);
  const accountKey = await openAccount(gw.db.sql, who, '100000.00');
  const expires = new Date(Date.now() + 300 * 86_400_000);
  await gw.db.sql`
    insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at)
    values (${who}, 'C5', false, '{4,4,4,4,4,4,4,4,4,4}', 40, ${new Date(Date.now() - 86_400_000)}, ${expires})`;
  const bank = await newInstitution(gw.db.sql, 'BANK', [{ type: 'FUND_SALES' }]);
  const manager = await newInstitution(gw.db.sql, 'FUND_MANAGER', [{ type: 'FUND_MANAGEMENT' }]);
  const fund = await newProduct(gw.db.sql, { category: 'FUND', riskLevel: 'R5', issuerId: manager, distributorId: bank });
  const token = await gw.customerToken(who);
  const [disclosure] = await gw.db.sql<{ id: string }[]>`select id from disclosures where product_id = ${fund}`;
  const ack = await gw.request(`mutation($input: AcknowledgeDisclosureInput!) { acknowledgeDisclosure(input: $input) { acknowledgedAt } }`, {
    token,
    variables: { input: { disclosureId: toGlobalId('Disclosure', disclosure!.id) } },
  });
  expect(ack.errors).toBeUndefined();
  const purchase = () =>
    gw.request(`mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { id } }`, {
      token,
      variables: { input: { productId: toGlobalId('Product', fund), accountId: toGlobalId('Account', accountKey), amount: '1.00', idempotencyKey: randomUUID() } },
    });
  return { who, fund, purchase, expires };
}

describe('a write whose observer cannot record it', () => {
  afterAll(() => {
    observer.state.failing = false;
  });

  it('fails, masked, and commits nothing: no money moves without its records', async () => {
    const { who, purchase } = await buyer();
    const [before] = await gw.db.sql<[{ balance: string }]>`select balance from accounts where customer_id = ${who} and kind = 'CUSTOMER'`;
    observer.state.failing = true;
    const response = await purchase();
    observer.state.failing = false;
    expect(response.errors?.[0]?.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await gw.db.sql`select id from transactions where customer_id = ${who} and type = 'PURCHASE'`).toEqual([]);
    expect(await gw.db.sql`select balance from accounts where customer_id = ${who} and kind = 'CUSTOMER'`).toEqual([before]);
    expect((await purchase()).errors).toBeUndefined();
  });
});

describe.skipIf(!process.env.DATABASE_URL)('writes are decided under their locks (needs a PostgreSQL server)', () => {
  /** Runs `change` in a transaction holding `lock`, sends a purchase meanwhile, commits, and answers the purchase. */
  async function purchaseDuring(lock: string, change: (tx: postgres.ReservedSql) => Promise<unknown>, purchase: () => Promise<GraphQLResponse>) {
    const reserved = await gw.db.sql.reserve();
    try {
      await reserved`begin`;
      await reserved.unsafe(lock);
      await change(reserved);
      const pending = purchase();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await reserved`commit`;
      return await pending;
    } finally {
      reserved.release();
    }
  }

  it('decide with the facts as they are when the lock is granted, not as they were when the request arrived', async () => {
    const { who, purchase, expires } = await buyer();
    expect((await purchase()).errors).toBeUndefined();
    // another transaction holds the customer and records a new, lowest-category assessment
    const response = await purchaseDuring(`select id from customers where id = ${Number(who)} for update`, (tx) => tx`
      insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at)
      values (${who}, 'C1', true, '{0,0,0,0,0,0,0,0,0,0}', 0, now(), ${expires})`, purchase);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'suitability@2', reasons: [{ code: 'LOWEST_CATEGORY_ABOVE_R1' }] } });
  });

  it('do not complete a purchase of a product suspended while it waited', async () => {
    const { fund, purchase } = await buyer();
    expect((await purchase()).errors).toBeUndefined();
    const response = await purchaseDuring(`select id from products where id = ${Number(fund)} for update`, (tx) => tx`
      insert into product_status_changes (product_id, from_status, to_status, changed_by, changed_at)
      values (${fund}, 'ONLINE', 'SUSPENDED', 'test', now())`, purchase);
    expect(response.errors?.[0]?.extensions.code).toBe('PRODUCT_NOT_AVAILABLE');
  });
});
