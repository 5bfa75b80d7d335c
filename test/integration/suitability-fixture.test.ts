import { randomUUID } from 'node:crypto';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessDate } from '../../src/clock.ts';
import { toGlobalId } from '../../src/ids.ts';
import { runOpaTests } from '../../src/policy/build.ts';
import { runCaseFile } from '../../src/policy/cases.ts';
import { loadPolicyStore } from '../../src/policy/store.ts';
import { newInstitution, newProduct } from '../support/catalogue.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';
import { catalogue, modules } from '../support/modules.ts';
import { needsOpa, opa } from '../support/opa.ts';
import { copyOfPolicies } from '../support/policies.ts';

/*
 * "A compliance officer changes a rule by editing Rego and data alone": the fixture suitability@3
 * (test/fixtures/policies/suitability/) is suitability@2 plus a house rule — customers aged 70 or
 * more may not buy R5 — written as one Rego rule and one `elderly` table, with its example cases.
 * Dropped into a copy of the policies folder, it loads through the real loader with the configured
 * modules, passes its cases, and decides HTTP purchases: no code was changed for it.
 */

const fixture = fileURLToPath(new URL('../fixtures/policies/suitability/', import.meta.url));

let dir: string;
let gw: TestGateway;

beforeAll(async () => {
  dir = await copyOfPolicies();
  await cp(fixture, join(dir, 'suitability'), { recursive: true });
  gw = await startGateway({ customers: 10, policiesDir: dir });
});
afterAll(() => gw?.close());

describe('a suitability version that adds a rule by Rego and data alone (the fixture suitability@3)', () => {
  it('loads through the real loader with the configured modules and passes its example cases', async () => {
    const store = await loadPolicyStore(dir, modules, catalogue);
    expect(store.errors().map((e) => e.message)).toEqual([]);
    const results = await runCaseFile(join(dir, 'suitability', 'suitability.v3.test.yaml'), store);
    expect(results.map((r) => r.name)).toContain('a 70-year-old C5 customer may not buy an R5 fund, even confirming');
    expect(results.flatMap((r) => r.problems)).toEqual([]);
  });

  it.skipIf(!opa)(`passes its Rego unit tests, version 2's among them${needsOpa}`, async () => {
    const result = await runOpaTests({ dir: join(fixture, '..'), opa: opa! });
    expect(result.output).toMatch(/test_seventy_year_old_may_not_buy_r5: PASS/);
    expect(result.ok).toBe(true);
  });

  it('is the version in force once it is the newest, and refuses a 70-year-old an R5 fund over HTTP while selling it to a 69-year-old', async () => {
    const sql = gw.db.sql;
    const fund = await newProduct(sql, {
      category: 'FUND',
      riskLevel: 'R5',
      issuerId: await newInstitution(sql, 'FUND_MANAGER', [{ type: 'FUND_MANAGEMENT' }]),
      distributorId: await newInstitution(sql, 'BANK', [{ type: 'FUND_SALES' }]),
    });
    const [y, m, d] = businessDate(new Date(), 'Asia/Shanghai').split('-').map(Number) as [number, number, number];
    const bornYearsAgo = (years: number) => new Date(Date.UTC(y - years, m - 1, d)).toISOString().slice(0, 10);

    const buyAt = async (birthDate: string) => {
      const id = await newCustomer(sql);
      await sql`update customers set birth_date = ${birthDate} where id = ${id}`;
      await sql`
        insert into risk_assessments (customer_id, tolerance, lowest_category, answers, score, assessed_at, expires_at)
        values (${id}, 'C5', false, '{1}', 0, now() - interval '1 day', now() + interval '300 days')`;
      await sql`insert into disclosure_acknowledgements (customer_id, disclosure_id) select ${id}, d.id from disclosures d where d.product_id = ${fund}`;
      const account = await openAccount(sql, id, '100000.00');
      const token = await gw.token({ sub: `customer-${id}`, roles: ['customer'], customerId: toGlobalId('Customer', id) });
      return gw.request(`mutation($input: PurchaseInput!) { purchaseProduct(input: $input) { status } }`, {
        token,
        variables: { input: { productId: toGlobalId('Product', fund), accountId: toGlobalId('Account', account), amount: '1.00', idempotencyKey: randomUUID(), confirmRiskMismatch: true } },
      });
    };

    const seventy = await buyAt(bornYearsAgo(70));
    expect(seventy.errors?.[0]?.extensions).toMatchObject({
      code: 'POLICY_DENIED',
      decision: { policy: 'suitability@3', reasons: [{ code: 'ELDERLY_GRADE_LIMIT', regulation: expect.stringContaining('house policy [U]') }] },
    });
    const sixtyNine = await buyAt(bornYearsAgo(69));
    expect(sixtyNine.errors).toBeUndefined();
    expect(sixtyNine.data.purchaseProduct.status).toBe('COMPLETED');
  });
});
