import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

// privacy@2 through HTTP: which purposes each role may declare, and what each role sees of every
// personal field under each purpose. The table below is the policy restated by hand, so a change
// to the policy file (or to how the gate applies it) that this table does not expect fails here.

const PURPOSES = ['account-servicing', 'transaction-processing', 'risk-control', 'marketing', 'audit', 'regulatory-reporting'] as const;
const DECLARABLE: Record<string, readonly string[]> = {
  customer: ['account-servicing'],
  advisor: ['account-servicing', 'transaction-processing', 'marketing'],
  compliance: ['risk-control', 'regulatory-reporting', 'audit'],
  auditor: ['audit', 'regulatory-reporting'],
  service: ['account-servicing', 'transaction-processing', 'risk-control'],
};
const FIELDS = ['name', 'idNumber', 'phone', 'email', 'birthDate', 'ageBand', 'balance', 'cardNumber', 'amount', 'tolerance'] as const;
type Field = (typeof FIELDS)[number];
type Shown = 'whole' | 'masked' | 'hidden';

/** What a role sees of each field under a purpose (null: none declared). */
function expected(role: string, purpose: string | null): Record<Field, Shown> {
  const all = (shown: Shown) => Object.fromEntries(FIELDS.map((f) => [f, shown])) as Record<Field, Shown>;
  if (role === 'customer') return { ...all('whole'), cardNumber: purpose === 'account-servicing' ? 'whole' : 'masked' };
  if (purpose === null) return all('hidden');
  const staff: Record<Field, Shown> = { ...all('whole'), idNumber: 'masked', phone: 'masked', cardNumber: 'masked', birthDate: 'hidden' };
  if (purpose !== 'marketing') return staff;
  return { ...staff, idNumber: 'hidden', birthDate: 'hidden', cardNumber: 'hidden', balance: 'hidden', amount: 'hidden', tolerance: 'hidden' };
}

let gw: TestGateway;
let subject: { id: string; institutionId: string; name: string; idNumber: string; phone: string; email: string | null; birthDate: string; cardNumber: string; balance: string };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  gw = await startGateway({ customers: 30 });
  // a customer with an e-mail, a card, a transaction and a risk profile: every personal field has a value
  const [row] = await gw.db.sql<(typeof subject)[]>`
    select c.id, c.institution_id, c.name, c.id_number, c.phone, c.email, c.birth_date, a.card_number, a.balance
      from customers c join accounts a on a.customer_id = c.id
     where c.email is not null and a.card_number is not null
       and exists (select 1 from transactions t where t.customer_id = c.id)
       and exists (select 1 from risk_assessments r where r.customer_id = c.id)
     order by c.id, a.id limit 1`;
  subject = row!;
  tokens.customer = await gw.customerToken(subject.id);
  tokens.advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', subject.institutionId) });
  tokens.compliance = await gw.token({ roles: ['compliance'] });
  tokens.auditor = await gw.token({ roles: ['auditor'] });
  tokens.service = await gw.token({ roles: ['service'], scope: 'customers:read accounts:read transactions:read' });
});
afterAll(() => gw?.close());

const query = (accounts: boolean) => `query($id: ID!) { customer(id: $id) { name idNumber phone email birthDate ageBand
  ${accounts ? 'accounts { balance cardNumber }' : ''} transactions(first: 1) { edges { node { amount } } } riskProfile { tolerance } } }`;

/** The customer's personal fields as `role` reads them (a service token reads no accounts: access says so). */
async function read(role: string, purpose: string | null) {
  return gw.request(query(role !== 'service'), { token: tokens[role], ...(purpose ? { purpose } : {}), variables: { id: toGlobalId('Customer', subject.id) } });
}

/** How each field came back: whole, masked (stars, same length) or hidden (null). */
function shown(data: any): Partial<Record<Field, Shown>> {
  const account = data.customer.accounts?.find((a: any) => a.cardNumber === null || a.cardNumber.endsWith(subject.cardNumber.slice(-4)));
  const values: Partial<Record<Field, unknown>> = {
    name: data.customer.name,
    idNumber: data.customer.idNumber,
    phone: data.customer.phone,
    email: data.customer.email,
    birthDate: data.customer.birthDate,
    ageBand: data.customer.ageBand,
    ...(data.customer.accounts ? { balance: account?.balance, cardNumber: account?.cardNumber } : {}),
    ...(data.customer.transactions ? { amount: data.customer.transactions.edges[0]?.node.amount } : {}),
    ...(data.customer.riskProfile ? { tolerance: data.customer.riskProfile.tolerance } : {}),
  };
  return Object.fromEntries(Object.entries(values).map(([field, value]) => [field, value === null ? 'hidden' : String(value).includes('*') ? 'masked' : 'whole']));
}

describe('purposes of access', () => {
  for (const [role, mayDeclare] of Object.entries(DECLARABLE)) {
    const refused = PURPOSES.filter((p) => !mayDeclare.includes(p));
    it(`refuse, for ${role}, every purpose but ${mayDeclare.join(', ')}: BAD_USER_INPUT naming the header, HTTP 400`, async () => {
      for (const purpose of [...refused, 'curiosity']) {
        const response = await read(role, purpose);
        expect(response.status).toBe(400);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'x-access-purpose', decision: { reasons: [{ code: 'PURPOSE_NOT_DECLARABLE' }] } });
      }
    });
  }
});

describe('what each role sees of each personal field', () => {
  for (const [role, mayDeclare] of Object.entries(DECLARABLE)) {
    for (const purpose of [null, ...mayDeclare]) {
      it(`${role}, ${purpose ?? 'no purpose'}`, async () => {
        const response = await read(role, purpose);
        expect(response.errors).toBeUndefined();
        const want = expected(role, purpose);
        const got = shown(response.data);
        expect(got).toEqual(Object.fromEntries(Object.keys(got).map((f) => [f, want[f as Field]])));
        // the roles that read the relations at all read all of them here
        expect(Object.keys(got).length).toBe(role === 'service' ? 8 : 10);
      });
    }
  }

  it('masks an identity number as the contract shows it, and never beside the birth date that would restore it', async () => {
    const response = await read('compliance', 'risk-control');
    expect(response.data.customer).toMatchObject({ idNumber: `${subject.idNumber.slice(0, 3)}${'*'.repeat(11)}${subject.idNumber.slice(-4)}`, birthDate: null });
    expect(response.data.customer.ageBand).toMatch(/^\d+(-\d+|\+)$/);
  });

  it('says in extensions.policy what was hidden and masked, and why', async () => {
    const response = await read('advisor', 'marketing');
    expect(response.extensions?.policy.hidden).toEqual(expect.arrayContaining(['customer.idNumber', 'customer.birthDate']));
    expect(response.extensions?.policy.masked).toEqual(expect.arrayContaining(['customer.phone']));
    const codes = response.extensions?.policy.reasons.map((r: any) => `${r.policy} ${r.code}`);
    expect(codes).toEqual(expect.arrayContaining(['privacy@2 PURPOSE_MINIMUM', 'privacy@2 MASKED_FOR_STAFF']));
    expect(response.extensions?.policy.reasons.find((r: any) => r.code === 'PURPOSE_MINIMUM').regulation).toBe('《个人信息保护法》第6条');
  });
});
