// The demo follows the policy files: every risk assessment is the questionnaire's scoring of its
// answers, every purchase is one the policies in force allow (suitability, licensing, disclosure…;
// or allow once the customer confirms the risk warning, with the alert the decision obliges), and
// the large-value alerts are exactly those the aml rules raise, all worked out again here from the
// generated rows, one by one. Each
// check also runs against policy files changed on purpose, so a seed that kept rules of its own
// would fail it.

import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { businessDate, businessDay } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { CustomerFact, DisclosureFact, LicencesFact, ProductFact } from '../../src/data/facts.ts';
import { toGlobalId } from '../../src/ids.ts';
import { toCents } from '../../src/money/amount.ts';
import { largeValueAlerts, largeValueHits, type AmlRules, type MovementFacts } from '../../src/money/aml.ts';
import { expiresAt, score, type Questionnaire } from '../../src/money/risk-assessment.ts';
import type { PolicyRequest } from '../../src/policy/types.ts';
import { generateDemo, type DemoData } from '../../src/seed/demo/generator.ts';
import { copyOfPolicies } from '../support/policies.ts';
import { policiesInForce, type DemoPolicies } from './seed-policies.ts';

const now = new Date('2026-06-30T00:00:00Z');
const customers = 2000;
const timeZone = loadConfig({}).timeZone;
const policies = await policiesInForce();
const demo = generateDemo({ customers, seed: 'rules-test', now, policies, timeZone });

const copies: string[] = [];
afterAll(() => Promise.all(copies.map((dir) => rm(dir, { recursive: true, force: true }))));

/** The versions in force over a copy of the policies with one file edited, and the demo generated under them. */
async function underChanged(file: string, edit: (text: string) => string): Promise<{ versions: DemoPolicies; demo: DemoData }> {
  const dir = await copyOfPolicies();
  copies.push(dir);
  const text = await readFile(join(dir, file), 'utf8');
  if (edit(text) === text) throw new Error(`the edit of ${file} changed nothing`);
  await writeFile(join(dir, file), edit(text));
  const versions = await policiesInForce(dir);
  return { versions, demo: generateDemo({ customers, seed: 'rules-test', now, policies: versions, timeZone }) };
}

// risk-questionnaire@1 with assessments valid for two years instead of one
const longer = await underChanged('risk-questionnaire/risk-questionnaire.v1.yaml', (t) => t.replace(/^validityDays: 365$/m, 'validityDays: 730'));
// the suitability version in force with no purchase above tolerance even once confirmed (CSRC products refused like bank WMP)
const stricter = await underChanged('suitability/suitability.v2.yaml', (t) => t.replace(/(\n    CSRC:\n(?:\s+#.*\n)*      aboveTolerance: )CONFIRM/, '$1DENY'));
// licensing@1 letting only insurers sell insurance (no agencies)
const narrower = await underChanged('licensing/licensing.v1.yaml', (t) => t.replace('licences: [INSURANCE_AGENCY, INSURANCE_UNDERWRITING]', 'licences: [INSURANCE_UNDERWRITING]'));
// aml@1 with the natural persons' domestic transfer threshold (0503) lowered from 500,000 to 200,000 CNY
const lower = await underChanged('aml/aml.v1.yaml', (t) => t.replace(/^(\s+CNY: )"500000\.00"/m, '$1"200000.00"'));

describe('the demo risk assessments', () => {
  it('are the questionnaire in force scoring their answers, valid as long as it says', () => {
    const { problems, outcomes } = checkAssessments(demo, policies.data<Questionnaire>('risk-questionnaire'));
    expect(problems).toEqual([]);
    expect([...outcomes]).toEqual(expect.arrayContaining(['C1', 'C1 lowest', 'C2', 'C3', 'C4', 'C5']));
  });

  it('follow a changed questionnaire, and the check refuses assessments made under the old one', () => {
    const questionnaire = longer.versions.data<Questionnaire>('risk-questionnaire');
    expect(checkAssessments(longer.demo, questionnaire).problems).toEqual([]);
    expect(checkAssessments(demo, questionnaire).problems).not.toEqual([]);
  });
});

describe('the demo purchases', () => {
  it('are each allowed by the policies in force, or allowed once confirmed with the SUITABILITY_OVERRIDE alert the decision obliges', () => {
    const { problems, reasons } = checkPurchases(demo, policies);
    expect(problems).toEqual([]);
    // suitability decided them, not only let them through as outside its scope; licensing and disclosure too
    expect([...reasons]).toEqual(
      expect.arrayContaining(['SUITABILITY_NOT_APPLICABLE', 'WITHIN_TOLERANCE', 'PROFESSIONAL_INVESTOR', 'RISK_MISMATCH_CONFIRMED', 'DISTRIBUTOR_LICENSED', 'ISSUER_LICENSED', 'DISCLOSURE_ACKNOWLEDGED']),
    );
    expect(demo.alerts.filter((a) => a.kind === 'SUITABILITY_OVERRIDE').length).toBeGreaterThan(0);
  });

  it('follow a changed suitability file, and the check refuses purchases made under the old one', () => {
    expect(checkPurchases(stricter.demo, stricter.versions).problems).toEqual([]);
    expect(stricter.demo.alerts.filter((a) => a.kind === 'SUITABILITY_OVERRIDE')).toEqual([]);
    expect(checkPurchases(demo, stricter.versions, 1).problems).not.toEqual([]);
  });

  it('follow a changed licensing file, and the check refuses purchases made under the old one', () => {
    expect(checkPurchases(narrower.demo, narrower.versions).problems).toEqual([]);
    const distributorKind = (data: DemoData, productId: number) => {
      const product = data.products.find((p) => p.id === productId)!;
      return data.institutions.find((i) => i.id === product.distributor_id)!.kind;
    };
    const insurance = (data: DemoData) =>
      data.transactions.filter((t) => t.type === 'PURCHASE' && data.products.find((p) => p.id === t.product_id)!.category === 'INSURANCE');
    expect(insurance(demo).some((t) => distributorKind(demo, t.product_id!) !== 'INSURER')).toBe(true);
    expect(insurance(narrower.demo).length).toBeGreaterThan(0);
    expect(insurance(narrower.demo).every((t) => distributorKind(narrower.demo, t.product_id!) === 'INSURER')).toBe(true);
    expect(checkPurchases(demo, narrower.versions, 1).problems).not.toEqual([]);
  });

  it('leave who the customers are alone: identities, assessments and accounts do not depend on what the policies let them do', () => {
    expect(stricter.demo.customers).toEqual(demo.customers);
    expect(stricter.demo.riskAssessments).toEqual(demo.riskAssessments);
    expect(stricter.demo.accounts).toEqual(demo.accounts);
    expect(stricter.demo.transactions).not.toEqual(demo.transactions);
  });
});

describe('the demo large-value alerts', () => {
  it('are exactly those the aml rules raise for each movement, singly or with the same business day', () => {
    const { problems, bases } = checkLargeValue(demo, policies.data<AmlRules>('aml'));
    expect(problems).toEqual([]);
    // transfers, and purchases and redemptions (money moved to and from a product's account), alone and with the day's total
    expect([...bases]).toEqual(expect.arrayContaining(['TRANSFER SINGLE', 'TRANSFER CUMULATIVE', 'PURCHASE SINGLE', 'REDEMPTION SINGLE']));
  });

  it('follow a changed threshold, and the check refuses alerts raised under the old one', () => {
    const rules = lower.versions.data<AmlRules>('aml');
    expect(checkLargeValue(lower.demo, rules).problems).toEqual([]);
    const flagged = (data: DemoData) => data.alerts.filter((a) => a.kind === 'LARGE_VALUE').length;
    expect(flagged(lower.demo)).toBeGreaterThan(flagged(demo));
    expect(checkLargeValue(demo, rules).problems).not.toEqual([]);
  });
});

/**
 * Decides every purchase of `data` again under `versions`, as the gateway would have, with the facts
 * src/data/facts.ts would have loaded from these rows: the buyer with the assessment they had taken
 * by then, the product, the business day, the licences of its distributor and issuer, its current
 * disclosures with the buyer's acknowledgements made by then; the buyer's account, the amount.
 * Lists what disagrees with the generated rows (stopping after `limit`), and the reason codes of the decisions.
 */
function checkPurchases(data: DemoData, versions: DemoPolicies, limit = Infinity): { problems: string[]; reasons: Set<string> } {
  const customerById = new Map(data.customers.map((c) => [c.id, c]));
  const assessmentOf = new Map(data.riskAssessments.map((a) => [a.customer_id, a]));
  const productById = new Map(data.products.map((p) => [p.id, p]));
  const institutionById = new Map(data.institutions.map((i) => [i.id, i]));
  const paidFrom = new Map(data.postings.filter((p) => p.amount.startsWith('-')).map((p) => [p.transaction_id, p.account_id]));
  const acknowledgedAt = new Map(data.acknowledgements.map((a) => [`${a.customer_id} ${a.disclosure_id}`, a.acknowledged_at]));
  const raised = new Map<number, { kind: string; rule: string | null; reason: string }[]>();
  for (const alert of data.alerts) {
    if (alert.kind === 'LARGE_VALUE') continue; // the aml rules' own, checked below
    raised.set(alert.transaction_id, [...(raised.get(alert.transaction_id) ?? []), { kind: alert.kind, rule: alert.rule, reason: alert.reason }]);
  }
  const licencesOf = (institutionId: number): LicencesFact => {
    const institution = institutionById.get(institutionId)!;
    return {
      institution: { id: String(institution.id), name: institution.name, kind: institution.kind },
      licences: data.licences
        .filter((l) => l.institution_id === institutionId)
        .sort((a, b) => a.id - b.id)
        .map((l) => ({ id: String(l.id), type: l.type, number: l.number, validFrom: l.valid_from, validTo: l.valid_to, regions: l.regions, revoked: l.revoked })),
    };
  };

  const problems: string[] = [];
  const reasons = new Set<string>();
  const purchases = data.transactions.filter((t) => t.type === 'PURCHASE');
  for (const t of purchases) {
    if (problems.length >= limit) break;
    const customer = customerById.get(t.customer_id)!;
    const assessment = assessmentOf.get(t.customer_id);
    const product = productById.get(t.product_id!)!;
    const account = String(paidFrom.get(t.id));
    const now = new Date(t.created_at);
    const day = businessDay(now, timeZone);
    const today = businessDate(now, timeZone);
    const customerFact: CustomerFact = {
      id: String(customer.id),
      institutionId: String(customer.institution_id),
      investorType: customer.investor_type,
      region: customer.region,
      // whole years on the business day
      age: Number(today.slice(0, 4)) - Number(customer.birth_date.slice(0, 4)) - (today.slice(5) < customer.birth_date.slice(5) ? 1 : 0),
      riskProfile:
        assessment && assessment.assessed_at <= t.created_at
          ? { tolerance: assessment.tolerance, lowestCategory: assessment.lowest_category, assessedAt: assessment.assessed_at, expiresAt: assessment.expires_at }
          : null,
      // the demo confirms no qualified investor
      qualifiedInvestor: null,
    };
    const productFact: ProductFact = {
      id: String(product.id),
      category: product.category,
      riskLevel: product.risk_level,
      status: product.status,
      offering: product.offering,
      investmentLinked: product.investment_linked,
      currency: product.currency,
      minAmount: product.min_amount,
      issuerId: String(product.issuer_id),
      distributorId: String(product.distributor_id),
    };
    const newest = new Map<string, DemoData['disclosures'][number]>();
    for (const d of data.disclosures) {
      if (d.product_id === product.id && d.published_at <= t.created_at && (newest.get(d.kind)?.version ?? 0) < d.version) newest.set(d.kind, d);
    }
    const currentDisclosures: DisclosureFact[] = [...newest.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind))
      .map((d) => {
        const sha256 = createHash('sha256').update(d.body, 'utf8').digest('hex');
        const at = acknowledgedAt.get(`${customer.id} ${d.id}`);
        return {
          id: String(d.id),
          globalId: toGlobalId('Disclosure', String(d.id)),
          kind: d.kind,
          version: d.version,
          title: d.title,
          sha256,
          publishedAt: d.published_at,
          acknowledgement: at !== undefined && at <= t.created_at ? { at, sha256 } : null,
        };
      });
    const request = (confirmRiskMismatch: boolean): PolicyRequest => ({
      principal: { id: `customer-${customer.id}`, roles: ['customer'], customerId: String(customer.id), scopes: [] },
      purpose: null,
      action: 'product.purchase',
      resource: { type: 'Account', id: account, attributes: { id: account, customerId: String(customer.id), institutionId: String(customer.institution_id), kind: 'CUSTOMER' } },
      facts: {
        customer: customerFact,
        product: productFact,
        businessDay: { date: today, start: day.start.toISOString(), end: day.end.toISOString() },
        distributorLicences: licencesOf(product.distributor_id),
        issuerLicences: licencesOf(product.issuer_id),
        currentDisclosures,
      },
      args: { input: { productId: String(product.id), accountId: account, amount: t.amount, confirmRiskMismatch } },
      now,
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
  // once every purchase is checked, what is left was raised by no decision
  if (problems.length < limit) for (const [transactionId, alerts] of raised) problems.push(`transaction ${transactionId}: alerts no decision obliged: ${JSON.stringify(alerts)}`);
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

/** Scores every assessment's answers again with `questionnaire`; lists what disagrees, and the outcomes seen. */
function checkAssessments(data: DemoData, questionnaire: Questionnaire): { problems: string[]; outcomes: Set<string> } {
  const problems: string[] = [];
  const outcomes = new Set<string>();
  for (const a of data.riskAssessments) {
    const scored = score(a.answers, questionnaire);
    const expires = expiresAt(new Date(a.assessed_at), questionnaire).toISOString();
    outcomes.add(`${scored.tolerance}${scored.lowestCategory ? ' lowest' : ''}`);
    const actual = { score: a.score, tolerance: a.tolerance, lowestCategory: a.lowest_category, expires: a.expires_at };
    if (JSON.stringify(actual) !== JSON.stringify({ ...scored, expires })) {
      problems.push(`customer ${a.customer_id}: stored ${JSON.stringify(actual)}, the questionnaire gives ${JSON.stringify({ ...scored, expires })}`);
    }
  }
  return { problems, outcomes };
}
