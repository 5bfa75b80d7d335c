// A list's to-one relations are loaded for all its records at once (src/policy/load-ahead.ts,
// `toOne` in schema/relay.ts). Each relation is still decided and filtered as its own field would
// be: what the reader may not see is null (a nullable relation) or NOT_FOUND at its own path, the
// same answer as when the field resolves it row by row (selected under a directive, the gate
// leaves it to its field).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';

let gw: TestGateway;
let compliance: string;
let auditor: string;

beforeAll(async () => {
  // access@5: access@4, but auditors may not read the insurers' products, and compliance may not
  // read the fund managers among the institutions
  const dir = await copyOfPolicies();
  await writeAccessV5(
    dir,
    `
  - effect: deny
    roles: [auditor]
    actions: [product.read]
    subject: Product
    conditions: { category: INSURANCE }
  - effect: deny
    roles: [compliance]
    actions: [institution.read]
    subject: Institution
    conditions: { kind: FUND_MANAGER }
`,
  );
  // a new database enforces the newest version of each module
  gw = await startGateway({ customers: 60, policiesDir: dir });
  compliance = await gw.token({ roles: ['compliance'] });
  auditor = await gw.token({ roles: ['auditor'] });
});
afterAll(() => gw?.close());

const PAGE = `{ transactions(first: 100) { edges { node { id product { name category issuer { name } } } } } }`;
const PAGE_UNDER_DIRECTIVE = `{ transactions(first: 100) { edges { node { id product @include(if: true) { name category issuer @include(if: true) { name } } } } } }`;

/** The newest 100 transactions with the category of their product and its issuer's kind and name, as the database has them. */
async function expected(): Promise<{ id: string; category: string | null; kind: string | null; issuer: string | null }[]> {
  return gw.db.sql`
    select t.id, p.category, i.kind, i.name as issuer
      from transactions t left join products p on p.id = t.product_id left join institutions i on i.id = p.issuer_id
     order by t.id desc limit 100`;
}

const errorPaths = (response: { errors?: { path?: (string | number)[]; extensions: { code: string } }[] }) =>
  (response.errors ?? []).map((e) => [e.path?.join('.'), e.extensions.code]).sort();

describe("a list's to-one relations", () => {
  it('are null where the reader may not see the related record (a nullable relation), with no error', async () => {
    const rows = await expected();
    expect(rows.some((r) => r.category === 'INSURANCE')).toBe(true);
    const response = await gw.request(PAGE, { token: auditor });
    expect(response.errors).toBeUndefined();
    const nodes = response.data.transactions.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.product?.category ?? null)).toEqual(rows.map((r) => (r.category === 'INSURANCE' ? null : r.category)));
  });

  it('are NOT_FOUND at their own path where the related record is required, and the others are there', async () => {
    const rows = await expected();
    const hidden = rows.map((r, i) => (r.kind === 'FUND_MANAGER' ? i : -1)).filter((i) => i >= 0);
    expect(hidden.length).toBeGreaterThan(0);
    const response = await gw.request(PAGE, { token: compliance });
    expect(errorPaths(response)).toEqual(hidden.map((i) => [`transactions.edges.${i}.node.product.issuer`, 'NOT_FOUND']).sort());
    const nodes = response.data.transactions.edges.map((e: any) => e.node);
    // a required issuer it may not see leaves its product null; every other product has its issuer
    expect(nodes.map((n: any) => n.product?.issuer?.name ?? null)).toEqual(rows.map((r) => (r.kind === 'FUND_MANAGER' ? null : r.issuer)));
  });

  it('answer the same when each field resolves its relation row by row', async () => {
    for (const token of [compliance, auditor]) {
      const ahead = await gw.request(PAGE, { token });
      const byRow = await gw.request(PAGE_UNDER_DIRECTIVE, { token });
      expect(byRow.data).toEqual(ahead.data);
      expect(errorPaths(byRow)).toEqual(errorPaths(ahead));
    }
  });

});
