// The demo follows the policy files: every purchase is one the policies in force allow (or allow
// once the customer confirms the risk warning, with the alert the decision obliges), and the
// large-value alerts are exactly those the aml rules raise, both worked out again here from the
// generated rows, movement by movement. Each check also runs against policy files changed on
// purpose, so a seed that kept rules of its own would fail it.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { businessDay } from '../../src/clock.ts';
import type { CustomerFact, ProductFact } from '../../src/data/facts.ts';
import { toCents } from '../../src/money/amount.ts';
import { largeValueAlerts, largeValueHits, type AmlRules, type MovementFacts } from '../../src/money/aml.ts';
import type { PolicyRequest } from '../../src/policy/types.ts';
import { generateDemo, type DemoData } from '../../src/seed/demo/generator.ts';
import { copyOfPolicies } from '../support/policies.ts';
import { policiesInForce, type DemoPolicies } from './seed-policies.ts';

const now = new Date('2026-06-30T00:00:00Z');
const customers = 2000;
const timeZone = loadConfig({}).timeZone;
const policies = await policiesInForce();
const demo = generateDemo({ customers, seed: 'rules-test', now, policies, timeZone });

// suitability@1 with no CSRC regime (so no purchase above tolerance, confirmed or not) and with
// insurance under the bank rules (so it needs a current assessment within tolerance)
const strictDir = await copyOfPolicies();
const suitabilityFile = join(strictDir, 'suitability', 'suitability.v1.yaml');
const suitability = await readFile(suitabilityFile, 'utf8');
await writeFile(suitabilityFile, suitability.replace(/^    FUND: CSRC\b.*$/m, '    FUND: BANK_WMP\n    INSURANCE: BANK_WMP'));
const strict = await policiesInForce(strictDir);
const strictDemo = generateDemo({ customers, seed: 'rules-test', now, policies: strict, timeZone });

// aml@1 with the natural persons' domestic transfer threshold (0503) lowered from 500,000 to 200,000 CNY
const lowDir = await copyOfPolicies();
const amlFile = join(lowDir, 'aml', 'aml.v1.yaml');
const aml = await readFile(amlFile, 'utf8');
await writeFile(amlFile, aml.replace(/^(\s+CNY: )"500000\.00"/m, '$1"200000.00"'));
const low = await policiesInForce(lowDir);
const lowDemo = generateDemo({ customers, seed: 'rules-test', now, policies: low, timeZone });

afterAll(() => Promise.all([strictDir, lowDir].map((dir) => rm(dir, { recursive: true, force: true }))));

describe('the demo purchases', () => {
  it('are each allowed by the policies in force, or allowed once confirmed with the SUITABILITY_OVERRIDE alert the decision obliges', () => {
    const { problems, reasons } = checkPurchases(demo, policies);
    expect(problems).toEqual([]);
    // suitability decided them, not only let them through as outside its scope
    expect([...reasons]).toEqual(expect.arrayContaining(['SUITABILITY_NOT_APPLICABLE', 'WITHIN_TOLERANCE', 'PROFESSIONAL_INVESTOR', 'RISK_MISMATCH_CONFIRMED']));
    expect(demo.alerts.filter((a) => a.kind === 'SUITABILITY_OVERRIDE').length).toBeGreaterThan(0);
  });

  it('follow a changed suitability file, and the check refuses purchases made under the old one', () => {
    expect(checkPurchases(strictDemo, strict).problems).toEqual([]);
    expect(strictDemo.alerts.filter((a) => a.kind === 'SUITABILITY_OVERRIDE')).toEqual([]);
    expect(checkPurchases(demo, strict).problems).not.toEqual([]);
  });

  it('leave who the customers are to the seed: identities, assessments and accounts do not depend on the policies', () => {
    expect(strictDemo.customers).toEqual(demo.customers);
    expect(strictDemo.riskAssessments).toEqual(demo.riskAssessments);
    expect(strictDemo.accounts).toEqual(demo.accounts);
    expect(strictDemo.transactions).not.toEqual(demo.transactions);
  });
});

describe('the demo large-value alerts', () => {
  it('are exactly those the aml rules raise for each movement, singly or with the same business day', () => {
    const { problems, bases } = checkLargeValue(demo, policies.data<AmlRules>('aml'));
    expect(problems).toEqual([]);
    // transfers, and purchases and redemptions (money moved to and from a product's account), alone and with the day's total
    expect([...bases]).toEqual(expect.arrayContaining(['TRANSFER SINGLE', 'PURCHASE SINGLE', 'REDEMPTION SINGLE', 'PURCHASE CUMULATIVE']));
  });

  it('follow a changed threshold, and the check refuses alerts raised under the old one', () => {
    const lowRules = low.data<AmlRules>('aml');
    expect(checkLargeValue(lowDemo, lowRules).problems).toEqual([]);
    const flagged = (data: DemoData) => data.alerts.filter((a) => a.kind === 'LARGE_VALUE').length;
    expect(flagged(lowDemo)).toBeGreaterThan(flagged(demo));
    expect(checkLargeValue(demo, lowRules).problems).not.toEqual([]);
  });
});

/**
 * Decides every purchase of `data` again under `versions`, as the gateway would have: the buyer's
 * account, the customer with the assessment they had taken by then, the product, the amount.
 * Lists what disagrees with the generated rows, and the reason codes of the decisions.
 */
function checkPurchases(data: DemoData, versions: DemoPolicies): { problems: string[]; reasons: Set<string> } {
  const customerById = new Map(data.customers.map((c) => [c.id, c]));
  const assessmentOf = new Map(data.riskAssessments.map((a) => [a.customer_id, a]));
  const productById = new Map(data.products.map((p) => [p.id, p]));
  const paidFrom = new Map(data.postings.filter((p) => p.amount.startsWith('-')).map((p) => [p.transaction_id, p.account_id]));
  const raised = new Map<number, { kind: string; rule: string | null; reason: string }[]>();
  for (const alert of data.alerts) {
    if (alert.kind === 'LARGE_VALUE') continue; // the aml rules' own, checked below
    raised.set(alert.transaction_id, [...(raised.get(alert.transaction_id) ?? []), { kind: alert.kind, rule: alert.rule, reason: alert.reason }]);
  }

  const problems: string[] = [];
  const reasons = new Set<string>();
  const purchases = data.transactions.filter((t) => t.type === 'PURCHASE');
  for (const t of purchases) {
    const customer = customerById.get(t.customer_id)!;
    const assessment = assessmentOf.get(t.customer_id);
    const product = productById.get(t.product_id!)!;
    const account = String(paidFrom.get(t.id));
    const customerFact: CustomerFact = {
      id: String(customer.id),
      institutionId: String(customer.institution_id),
      investorType: customer.investor_type,
      region: customer.region,
      riskProfile:
        assessment && assessment.assessed_at <= t.created_at
          ? { tolerance: assessment.tolerance, lowestCategory: assessment.lowest_category, assessedAt: assessment.assessed_at, expiresAt: assessment.expires_at }
          : null,
    };
    const productFact: ProductFact = {
      id: String(product.id),
      category: product.category,
      riskLevel: product.risk_level,
      status: product.status,
      currency: product.currency,
      minAmount: product.min_amount,
      issuerId: String(product.issuer_id),
      distributorId: String(product.distributor_id),
    };
    const request = (confirmRiskMismatch: boolean): PolicyRequest => ({
      principal: { id: `customer-${customer.id}`, roles: ['customer'], customerId: String(customer.id), scopes: [] },
      purpose: null,
      action: 'product.purchase',
      resource: { type: 'Account', id: account, attributes: { id: account, customerId: String(customer.id), institutionId: String(customer.institution_id), kind: 'CUSTOMER' } },
      facts: { customer: customerFact, product: productFact },
      args: { input: { productId: String(product.id), accountId: account, amount: t.amount, confirmRiskMismatch } },
      now: new Date(t.created_at),
    });

    let decision = versions.decide(request(false));
    if (!decision.allow && decision.obligations.confirm?.length) {
      decision = versions.decide(request(true));
      if (decision.allow && !decision.obligations.alerts?.some((a) => a.kind === 'SUITABILITY_OVERRIDE')) {
        problems.push(`purchase ${t.id}: allowed once confirmed, but the decision obliges no SUITABILITY_OVERRIDE alert`);
      }
    }
    for (const verdict of decision.verdicts) for (const reason of verdict.reasons) reasons.add(reason.code);
    if (!decision.allow) {
      problems.push(`purchase ${t.id}: ${product.category} ${product.risk_level} by customer ${customer.id} is refused (${decision.verdicts.flatMap((v) => v.reasons.map((r) => r.code)).join(', ')})`);
      continue;
    }
    const expected = (decision.obligations.alerts ?? []).map((a) => ({ kind: a.kind, rule: a.rule, reason: a.reason }));
    if (JSON.stringify(raised.get(t.id) ?? []) !== JSON.stringify(expected)) {
      problems.push(`purchase ${t.id}: raised ${JSON.stringify(raised.get(t.id) ?? [])}, the decision obliges ${JSON.stringify(expected)}`);
    }
    raised.delete(t.id);
  }
  for (const [transactionId, alerts] of raised) problems.push(`transaction ${transactionId}: alerts no decision obliged: ${JSON.stringify(alerts)}`);
  return { problems, reasons };
}

/**
 * Works out again, movement by movement in each customer's order, the large-value alerts the aml
 * `rules` raise: each counted movement with what the customer's counted movements of the same
 * business day already add up to. Lists what disagrees with the generated alerts, and which
 * movement types and bases (SINGLE, CUMULATIVE) raised one.
 */
function checkLargeValue(data: DemoData, rules: AmlRules): { problems: string[]; bases: Set<string> } {
  const raised = new Map<number, string[]>();
  for (const alert of data.alerts) {
    if (alert.kind === 'LARGE_VALUE') raised.set(alert.transaction_id, [...(raised.get(alert.transaction_id) ?? []), `${alert.rule} ${alert.reason}`]);
  }
  const counted = new Set(rules.largeValue.classification.transactionTypes);
  const problems: string[] = [];
  const bases = new Set<string>();
  const dayTotals = new Map<string, bigint>(); // customer and business day → counted cents so far
  for (const t of data.transactions) {
    const cents = toCents(t.amount);
    const key = `${t.customer_id} ${businessDay(new Date(t.created_at), timeZone).start.toISOString()}`;
    const before = dayTotals.get(key) ?? 0n;
    if (counted.has(t.type)) dayTotals.set(key, before + cents);
    const movement: MovementFacts = { type: t.type, currency: t.currency, cents, sameDayBeforeCents: before };
    const expected = largeValueAlerts(rules, movement);
    for (const hit of largeValueHits(rules, movement)) bases.add(`${t.type} ${hit.basis}`);
    const actual = raised.get(t.id) ?? [];
    if (JSON.stringify(actual) !== JSON.stringify(expected.map((a) => `${a.rule} ${a.reason}`))) {
      problems.push(`${t.type} ${t.id} of ${t.amount} (customer ${t.customer_id}, ${before} cents earlier that day): raised ${JSON.stringify(actual)}, the rules raise ${JSON.stringify(expected.map((a) => a.rule))}`);
    }
  }
  return { problems, bases };
}
