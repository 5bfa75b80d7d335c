import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';

let gw: TestGateway;
let dir: string;
let institution: string; // the institution with the most customers
let ours: string; // one of its customers
let theirs: string; // a customer of another institution
let advisor: string;
let compliance: string;

beforeAll(async () => {
  dir = await copyOfPolicies();
  gw = await startGateway({ customers: 40, policiesDir: dir, watch: true });
  // a new version arrives after start: loaded, but enforced only when activated
  await writeAccessV5(dir);
  for (let i = 0; i < 50 && !gw.policies.store.get('access@5'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const [top] = await gw.db.sql<[{ institutionId: string }]>`
    select institution_id from customers group by institution_id order by count(*) desc, institution_id limit 1`;
  institution = top.institutionId;
  const [a] = await gw.db.sql<[{ id: string }]>`select id from customers where institution_id = ${institution} order by id limit 1`;
  const [b] = await gw.db.sql<[{ id: string }]>`select id from customers where institution_id <> ${institution} order by id limit 1`;
  ours = a.id;
  theirs = b.id;
  advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', institution) });
  compliance = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());

const count = async (query: Promise<[{ n: number }]>) => (await query)[0].n;

describe('advisors', () => {
  it("list only their institution's customers, and totalCount counts no others", async () => {
    const expected = await count(gw.db.sql`select count(*)::int as n from customers where institution_id = ${institution}`);
    const all = await count(gw.db.sql`select count(*)::int as n from customers`);
    const response = await gw.request(`{ customers(first: 100) { totalCount edges { node { id } } } }`, { token: advisor });
    expect(response.data.customers.totalCount).toBe(expected);
    expect(response.data.customers.edges).toHaveLength(expected);
    expect(expected).toBeLessThan(all);
  });

  it("list only the transactions of their institution's customers, and totalCount counts no others", async () => {
    const mine = await gw.db.sql<{ id: string }[]>`
      select t.id from transactions t join customers c on c.id = t.customer_id where c.institution_id = ${institution}`;
    const all = await count(gw.db.sql`select count(*)::int as n from transactions`);
    const response = await gw.request(`{ transactions(first: 100) { totalCount edges { node { id } } } }`, { token: advisor });
    expect(response.errors).toBeUndefined();
    expect(response.data.transactions.totalCount).toBe(mine.length);
    const listed = response.data.transactions.edges.map((e: any) => e.node.id);
    expect(listed).toHaveLength(Math.min(100, mine.length));
    expect(mine.map((t) => toGlobalId('Transaction', t.id))).toEqual(expect.arrayContaining(listed));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(all);
  });

  it("get NOT_FOUND for another institution's transaction, by id and as a node", async () => {
    const [other] = await gw.db.sql<[{ id: string }]>`
      select t.id from transactions t join customers c on c.id = t.customer_id where c.institution_id <> ${institution} order by t.id limit 1`;
    const response = await gw.request(`query($id: ID!) { transaction(id: $id) { id } node(id: $id) { id } }`, {
      token: advisor,
      variables: { id: toGlobalId('Transaction', other.id) },
    });
    expect(response.data).toEqual({ transaction: null, node: null });
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('see identity numbers and phones masked, and the response lists the masked paths', async () => {
    const [row] = await gw.db.sql<[{ idNumber: string; phone: string; name: string }]>`select id_number, phone, name from customers where id = ${ours}`;
    const response = await gw.request(`query($id: ID!) { customer(id: $id) { name idNumber phone } }`, {
      token: advisor,
      purpose: 'account-servicing',
      variables: { id: toGlobalId('Customer', ours) },
    });
    expect(response.data.customer).toEqual({
      name: row.name,
      idNumber: `${row.idNumber.slice(0, 3)}${'*'.repeat(11)}${row.idNumber.slice(-4)}`,
      phone: `${row.phone.slice(0, 3)}****${row.phone.slice(-4)}`,
    });
    expect(response.extensions?.policy).toMatchObject({ masked: ['customer.idNumber', 'customer.phone'], hidden: [] });
    expect(response.extensions?.policy.versions).toContain('access@4');
  });

  it("get NOT_FOUND for another institution's customer, through every path", async () => {
    const id = toGlobalId('Customer', theirs);
    const response = await gw.request(
      `query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } alias: customer(id: $id) { ...F } }
       fragment F on Customer { name idNumber }`,
      { token: advisor, variables: { id } },
    );
    expect(response.data).toEqual({ customer: null, node: null, alias: null });
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
  });

  it('see no personal information without a declared purpose (PIPL Art. 6), and the response lists the hidden paths', async () => {
    const response = await gw.request(`query($id: ID!) { customer(id: $id) { name idNumber phone email birthDate investorType } }`, {
      token: advisor,
      variables: { id: toGlobalId('Customer', ours) },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data.customer).toEqual({ name: null, idNumber: null, phone: null, email: null, birthDate: null, investorType: expect.any(String) });
    expect(response.extensions?.policy.hidden).toEqual(['customer.name', 'customer.idNumber', 'customer.phone', 'customer.email', 'customer.birthDate']);
  });
});

describe('customers cannot reach other customers (IDOR)', () => {
  it('through aliases and fragments: their own resolves, the other is NOT_FOUND', async () => {
    const token = await gw.customerToken(ours);
    const response = await gw.request(
      `query($mine: ID!, $theirs: ID!) {
         mine: customer(id: $mine) { ...F }
         theirs: customer(id: $theirs) { ...F }
         viaNode: node(id: $theirs) { ... on Customer { idNumber } }
       }
       fragment F on Customer { id idNumber }`,
      { token, variables: { mine: toGlobalId('Customer', ours), theirs: toGlobalId('Customer', theirs) } },
    );
    expect(response.data.mine.id).toBe(toGlobalId('Customer', ours));
    expect(response.data.theirs).toBeNull();
    expect(response.data.viaNode).toBeNull();
    expect(response.errors?.map((e) => [e.path?.[0], e.extensions.code])).toEqual([
      ['theirs', 'NOT_FOUND'],
      ['viaNode', 'NOT_FOUND'],
    ]);
  });

  it("through nested connections: every transaction's customer is themselves", async () => {
    const token = await gw.customerToken(ours);
    const response = await gw.request(`{ me { transactions(first: 100) { totalCount edges { node { customer { id } } } } } }`, { token });
    const expected = await count(gw.db.sql`select count(*)::int as n from transactions where customer_id = ${ours}`);
    expect(response.data.me.transactions.totalCount).toBe(expected);
    for (const edge of response.data.me.transactions.edges) expect(edge.node.customer.id).toBe(toGlobalId('Customer', ours));
  });

  it('through a foreign account id in a transfer: NOT_FOUND, and no money moves', async () => {
    const token = await gw.customerToken(ours);
    const [theirAccount] = await gw.db.sql<[{ id: string }]>`select id from accounts where customer_id = ${theirs} limit 1`;
    const [myAccount] = await gw.db.sql<[{ id: string }]>`select id from accounts where customer_id = ${ours} limit 1`;
    const before = await count(gw.db.sql`select count(*)::int as n from transactions`);
    const response = await gw.request(
      `mutation($input: TransferInput!) { transfer(input: $input) { id } }`,
      { token, variables: { input: { fromAccountId: toGlobalId('Account', theirAccount.id), toAccountId: toGlobalId('Account', myAccount.id), amount: '1.00', idempotencyKey: 'idor-1' } } },
    );
    expect(response.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(await count(gw.db.sql`select count(*)::int as n from transactions`)).toBe(before);
  });

  it('cannot read risk alerts at all (AML: no tipping-off)', async () => {
    const response = await gw.request(`{ riskAlerts { totalCount } }`, { token: await gw.customerToken(ours) });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { reasons: [{ code: 'NO_RULE_ALLOWS' }] } });
  });
});

const ACTIVATE = `mutation($input: ActivatePolicyInput!) { activatePolicy(input: $input) { name version mode effectiveFrom } }`;
const activate = (name: string, version: string, mode: string, extra: Record<string, unknown> = {}) =>
  gw.request(ACTIVATE, { token: compliance, variables: { input: { name, version, mode, ...extra } } });
const advisorCustomers = () => gw.request(`{ customers { totalCount } }`, { token: advisor });

describe('the policy lifecycle', () => {
  it('lists every loaded version with the mode it runs in', async () => {
    const response = await gw.request(`{ policies { name version mode sha256 activatedAt } }`, { token: compliance });
    const modes = Object.fromEntries(response.data.policies.map((p: any) => [`${p.name}@${p.version}`, p.mode]));
    expect(modes).toMatchObject({ 'access@4': 'ENFORCE', 'access@5': 'INACTIVE', 'suitability@1': 'INACTIVE', 'suitability@2': 'ENFORCE' });
  });

  it('lets only compliance activate a version', async () => {
    for (const token of [advisor, await gw.token({ roles: ['auditor'] }), await gw.customerToken(ours)]) {
      const response = await gw.request(ACTIVATE, { token, variables: { input: { name: 'access', version: '5', mode: 'ENFORCE' } } });
      expect(response.errors?.[0]?.extensions.code).toBe('POLICY_DENIED');
    }
    const unknown = await activate('access', '9', 'ENFORCE');
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.version' });
  });

  it('evaluates a SHADOW version beside the enforced one and records where it differs, without enforcing it', async () => {
    expect((await activate('access', '5', 'SHADOW')).data.activatePolicy.mode).toBe('SHADOW');
    const response = await advisorCustomers();
    expect(response.errors).toBeUndefined();
    await gw.shadowLog.flush();
    const [row] = await gw.db.sql<[{ n: number }]>`
      select count(*)::int as n from policy_shadow_outcomes
       where shadow = 'access@5' and enforced = 'access@4' and action = 'customer.read' and enforced_allow and not shadow_allow`;
    expect(row.n).toBeGreaterThan(0);
  });

  it('enforces an activated version at once, and rolls back to the previous one', async () => {
    await activate('access', '5', 'ENFORCE');
    const denied = await advisorCustomers();
    expect(denied.errors?.[0]?.extensions).toMatchObject({
      code: 'POLICY_DENIED',
      decision: { policy: 'access@5', reasons: [{ code: 'ADVISOR_ACCESS_SUSPENDED', regulation: '《个人信息保护法》第51条' }] },
    });
    const listed = await gw.request(`{ policies { name version mode } }`, { token: compliance });
    expect(listed.data.policies.filter((p: any) => p.name === 'access')).toEqual([
      { name: 'access', version: '1', mode: 'INACTIVE' },
      { name: 'access', version: '2', mode: 'INACTIVE' },
      { name: 'access', version: '3', mode: 'INACTIVE' },
      { name: 'access', version: '4', mode: 'INACTIVE' },
      { name: 'access', version: '5', mode: 'ENFORCE' },
    ]);
    await activate('access', '4', 'ENFORCE');
    expect((await advisorCustomers()).errors).toBeUndefined();
  });

  it('decides the very next request under a new activation, though its token, abilities and decisions were cached under the old one', async () => {
    // the same token twice: its principal, its CASL ability and its type-level decisions are now cached
    expect((await advisorCustomers()).data.customers.totalCount).toBeGreaterThan(0);
    expect((await advisorCustomers()).data.customers.totalCount).toBeGreaterThan(0);
    await activate('access', '5', 'ENFORCE');
    expect((await advisorCustomers()).errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'access@5' } });
    await activate('access', '4', 'ENFORCE');
    const restored = await advisorCustomers();
    expect(restored.errors).toBeUndefined();
    expect(restored.extensions?.policy.versions).toContain('access@4');
  });

  it('never takes effect in the past: history is not rewritten', async () => {
    const response = await activate('access', '5', 'ENFORCE', { effectiveFrom: '2020-01-01T00:00:00Z' });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.effectiveFrom' });
    expect((await advisorCustomers()).errors).toBeUndefined();
  });

  it('switches to a scheduled version at its effective instant, without a restart', async () => {
    const at = new Date(Date.now() + 1500);
    await activate('access', '5', 'ENFORCE', { effectiveFrom: at.toISOString() });
    expect((await advisorCustomers()).errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, at.getTime() - Date.now() + 50));
    expect((await advisorCustomers()).errors?.[0]?.extensions.decision.policy).toBe('access@5');
    await activate('access', '4', 'ENFORCE');
    expect((await advisorCustomers()).errors).toBeUndefined();
  });
});

describe('the policy lifecycle keeps every module decidable', () => {
  it('refuses to deactivate the enforced version of a module, now or from a scheduled instant', async () => {
    const now = await activate('access', '4', 'INACTIVE');
    expect(now.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.mode' });
    const later = await activate('access', '4', 'INACTIVE', { effectiveFrom: new Date(Date.now() + 3_600_000).toISOString() });
    expect(later.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.mode' });
    expect((await advisorCustomers()).errors).toBeUndefined();
  });

  it('refuses a version that would leave compliance unable to activate policies, so access can always be restored', async () => {
    const v4 = await readFile(join(dir, 'access', 'access.v4.yaml'), 'utf8');
    await writeFile(join(dir, 'access', 'access.v7.yaml'), v4.replace('version: 4', 'version: 7').replace(/  - roles: \[compliance\]\n    actions: \[policy\.activate\][^\n]*\n(    [^\n]*\n)*/, ''));
    await gw.policies.store.reload();
    expect(gw.policies.store.get('access@7')).toBeDefined();
    const response = await activate('access', '7', 'ENFORCE');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.version' });
    expect((await activate('access', '4', 'ENFORCE')).errors).toBeUndefined();
  });
});

describe('a draft policy version', () => {
  it('is loaded and listed, but never enforced without an activation, not even on a new database', async () => {
    const drafts = await copyOfPolicies();
    await writeAccessV5(drafts);
    const file = join(drafts, 'access', 'access.v5.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('engine: casl', 'engine: casl\nstatus: draft'));
    const fresh = await startGateway({ customers: 0, policiesDir: drafts });
    try {
      const listed = Object.fromEntries(fresh.policies.list(new Date()).map((p) => [`${p.module}@${p.version}`, p.mode]));
      expect(listed).toMatchObject({ 'access@4': 'ENFORCE', 'access@5': 'INACTIVE' });
    } finally {
      await fresh.close();
    }
  });
});

describe('policy files changed while running', () => {
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 50 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    return check();
  };

  it('reports an invalid new version with file and line and never loads it', async () => {
    await writeFile(join(dir, 'access', 'access.v6.yaml'), 'module: access\nversion: 6\nengine: casl\nrules: [\n');
    expect(await waitFor(() => gw.policies.store.errors().some((e) => e.file.endsWith('access.v6.yaml')))).toBe(true);
    expect(gw.policies.store.errors().find((e) => e.file.endsWith('access.v6.yaml'))!.line).toBeGreaterThan(0);
    expect((await activate('access', '6', 'ENFORCE')).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect((await advisorCustomers()).errors).toBeUndefined();
  });

  it('keeps the activated content of a version when its file is edited, and loads a valid new version', async () => {
    const v5 = gw.policies.store.get('access@5')!.file.sha256;
    await writeFile(join(dir, 'access', 'access.v5.yaml'), 'module: access\n');
    // v6 hides customers' e-mail addresses and birth dates from advisors
    const v4 = await readFile(join(dir, 'access', 'access.v4.yaml'), 'utf8');
    const hide = `\n  - effect: deny\n    roles: [advisor]\n    actions: [customer.read]\n    subject: Customer\n    fields: [email, birthDate]\n`;
    await writeFile(join(dir, 'access', 'access.v6.yaml'), `${v4.replace('version: 4', 'version: 6')}${hide}`);
    expect(await waitFor(() => gw.policies.store.get('access@6') !== undefined)).toBe(true);
    expect(gw.policies.store.get('access@5')!.file.sha256).toBe(v5);
    expect((await activate('access', '6', 'ENFORCE')).data.activatePolicy).toMatchObject({ name: 'access', version: '6', mode: 'ENFORCE' });
    const response = await gw.request(`query($id: ID!) { customer(id: $id) { name email birthDate } }`, {
      token: advisor,
      purpose: 'account-servicing',
      variables: { id: toGlobalId('Customer', ours) },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data.customer).toMatchObject({ email: null, birthDate: null, name: expect.any(String) });
    expect(response.extensions?.policy).toMatchObject({ hidden: ['customer.email', 'customer.birthDate'], versions: expect.arrayContaining(['access@6']) });
  });
});
