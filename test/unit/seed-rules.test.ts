// The demo follows the policy files: every risk assessment is the questionnaire's scoring of its
// answers, and every purchase, redemption and transfer is one the policies in force allow (or allow
// once the customer confirms the risk warning), raising exactly the alerts its decision obliges
// (suitability's override; the aml policy's large-value alerts on each side, with their deadlines).
// All of it is worked out again here from the generated rows, movement by movement in time order,
// by deciding each under the policies with the facts src/data/facts.ts would load from those rows.
// Each check also runs against policy files changed on purpose, so a seed that kept rules of its
// own would fail it.

import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { businessDate, businessDay } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import {
  factProviders,
  type AmlActivityFact,
  type BusinessCalendarFact,
  type CustomerFact,
  type DisclosureFact,
  type LicencesFact,
  type ProductFact,
  type SideTotals,
} from '../../src/data/facts.ts';
import { toGlobalId } from '../../src/ids.ts';
import { formatCents, toCents } from '../../src/money/amount.ts';
import { termsFor, type CoolingOffData } from '../../src/money/cooling-off.ts';
import { expiresAt, score, type Questionnaire } from '../../src/money/risk-assessment.ts';
import type { Decision, PolicyRequest } from '../../src/policy/types.ts';
import { AML_WINDOWS_MINUTES } from '../../src/policy/vocabulary.ts';
import { generateDemo, type DemoData } from '../../src/seed/demo/generator.ts';
import { offersOf } from '../../src/seed/demo/offers.ts';
import { referenceData } from '../../src/seed/demo/reference.ts';
import { copyOfPolicies } from '../support/policies.ts';
import { policiesInForce, type DemoPolicies } from './seed-policies.ts';

const now = new Date('2026-06-30T00:00:00Z');
const customers = 2000;
const timeZone = loadConfig({}).timeZone;
const policies = await policiesInForce();
const demo = generateDemo({ customers, seed: 'rules-test', now, policies, timeZone });

const copies: string[] = [];
afterAll(() => Promise.all(copies.map((dir) => rm(dir, { recursive: true, force: true }))));

/** The versions in force over a copy of the policies with one file edited. */
async function changed(file: string, edit: (text: string) => string): Promise<DemoPolicies> {
  const dir = await copyOfPolicies();
  copies.push(dir);
  const text = await readFile(join(dir, file), 'utf8');
  if (edit(text) === text) throw new Error(`the edit of ${file} changed nothing`);
  await writeFile(join(dir, file), edit(text));
  return policiesInForce(dir);
}

/** The same, and the demo generated under them. */
async function underChanged(file: string, edit: (text: string) => string): Promise<{ versions: DemoPolicies; demo: DemoData }> {
  const versions = await changed(file, edit);
  return { versions, demo: generateDemo({ customers, seed: 'rules-test', now, policies: versions, timeZone }) };
}

// risk-questionnaire@1 with assessments valid for two years instead of one
const longer = await underChanged('risk-questionnaire/risk-questionnaire.v1.yaml', (t) => t.replace(/^validityDays: 365$/m, 'validityDays: 730'));
// the suitability version in force with no purchase above tolerance even once confirmed (CSRC products refused like bank WMP)
const stricter = await underChanged('suitability/suitability.v2.yaml', (t) => t.replace(/(\n    CSRC:\n(?:\s+#.*\n)*      aboveTolerance: )CONFIRM/, '$1DENY'));
// licensing@1 letting only insurers sell insurance (no agencies)
const narrower = await underChanged('licensing/licensing.v1.yaml', (t) => t.replace('licences: [INSURANCE_AGENCY, INSURANCE_UNDERWRITING]', 'licences: [INSURANCE_UNDERWRITING]'));
// aml@2 with the natural persons' domestic transfer threshold (0503) lowered from 500,000 to 200,000 CNY
const lower = await underChanged('aml/aml.v2.yaml', (t) => t.replace(/^(\s+CNY: )"500000\.00"/m, '$1"200000.00"'));

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

describe('the demo movements', () => {
  it('are each allowed by the policies in force as the gateway asks them, raising exactly the alerts their decisions oblige', async () => {
    const { problems, reasons, alerted } = await checkMovements(demo, policies);
    expect(problems).toEqual([]);
    // suitability decided the purchases, not only let them through as outside its scope; licensing, disclosure and aml too
    expect([...reasons]).toEqual(
      expect.arrayContaining([
        'SUITABILITY_NOT_APPLICABLE',
        'WITHIN_TOLERANCE',
        'PROFESSIONAL_INVESTOR',
        'RISK_MISMATCH_CONFIRMED',
        'DISTRIBUTOR_LICENSED',
        'ISSUER_LICENSED',
        'DISCLOSURE_ACKNOWLEDGED',
        'AML_SCREENED',
      ]),
    );
    // large-value alerts on both sides of a transfer, and on purchases (money moved to a product's account)
    expect([...alerted]).toEqual(
      expect.arrayContaining(['PURCHASE SUITABILITY_OVERRIDE', 'TRANSFER LARGE_VALUE OUTGOING', 'TRANSFER LARGE_VALUE INCOMING', 'PURCHASE LARGE_VALUE OUTGOING']),
    );
    // each is due after the movement that raised it
    const large = demo.alerts.filter((a) => a.kind === 'LARGE_VALUE');
    expect(large.filter((a) => a.due_at === null || Date.parse(a.due_at) <= Date.parse(a.created_at))).toEqual([]);
  });

  it('follow a changed suitability file, and the check refuses purchases made under the old one', async () => {
    expect((await checkMovements(stricter.demo, stricter.versions)).problems).toEqual([]);
    expect(stricter.demo.alerts.filter((a) => a.kind === 'SUITABILITY_OVERRIDE')).toEqual([]);
    expect((await checkMovements(demo, stricter.versions, 1)).problems).not.toEqual([]);
  });

  it('follow a changed licensing file, and the check refuses purchases made under the old one', async () => {
    expect((await checkMovements(narrower.demo, narrower.versions)).problems).toEqual([]);
    const distributorKind = (data: DemoData, productId: number) => {
      const product = data.products.find((p) => p.id === productId)!;
      return data.institutions.find((i) => i.id === product.distributor_id)!.kind;
    };
    const insurance = (data: DemoData) =>
      data.transactions.filter((t) => t.type === 'PURCHASE' && data.products.find((p) => p.id === t.product_id)!.category === 'INSURANCE');
    expect(insurance(demo).some((t) => distributorKind(demo, t.product_id!) !== 'INSURER')).toBe(true);
    expect(insurance(narrower.demo).length).toBeGreaterThan(0);
    expect(insurance(narrower.demo).every((t) => distributorKind(narrower.demo, t.product_id!) === 'INSURER')).toBe(true);
    expect((await checkMovements(demo, narrower.versions, 1)).problems).not.toEqual([]);
  });

  it('follow a changed aml threshold, and the check refuses alerts raised under the old one', async () => {
    expect((await checkMovements(lower.demo, lower.versions)).problems).toEqual([]);
    const flagged = (data: DemoData) => data.alerts.filter((a) => a.kind === 'LARGE_VALUE').length;
    expect(flagged(lower.demo)).toBeGreaterThan(flagged(demo));
    expect((await checkMovements(demo, lower.versions, 1)).problems).not.toEqual([]);
  });

  it('leave who the customers are alone: identities, assessments and accounts do not depend on what the policies let them do', () => {
    expect(stricter.demo.customers).toEqual(demo.customers);
    expect(stricter.demo.riskAssessments).toEqual(demo.riskAssessments);
    expect(stricter.demo.accounts).toEqual(demo.accounts);
    expect(stricter.demo.transactions).not.toEqual(demo.transactions);
  });

  it('are not generated at all when the policies decide with a fact the seed does not supply', () => {
    const asking = { ...policies, facts: [...policies.facts, 'creditBureauReport'] };
    expect(() => generateDemo({ customers: 10, seed: 'rules-test', now, policies: asking, timeZone })).toThrow(/creditBureauReport/);
  });
});

describe('the demo offers', () => {
  it('leave out the products the cooling-off policy gives a period, and only those', async () => {
    const reference = referenceData('rules-test', now.getTime());
    const product = (id: number) => reference.products.find((p) => p.id === id)!;
    const hasPeriod = (versions: DemoPolicies) => (id: number) => termsFor(versions.data<CoolingOffData>('cooling-off'), product(id) as unknown as ProductFact) !== null;
    const offered = (versions: DemoPolicies) => offersOf(reference, versions).map((o) => o.productId);
    const privateFund = reference.products.find((p) => p.offering === 'PRIVATE' && p.category === 'FUND')!.id;
    expect(offered(policies)).not.toContain(privateFund);
    expect(offered(policies).filter(hasPeriod(policies))).toEqual([]);
    expect(demo.transactions.filter((t) => t.type === 'PURCHASE' && hasPeriod(policies)(t.product_id!))).toEqual([]);
    // cooling-off@1 with no period for private funds: they are offered, and decided like any product
    const without = await changed('cooling-off/cooling-off.v1.yaml', (t) => t.replace(/^ {4}PRIVATE_FUND:$/m, '    PRIVATE_INSURANCE:'));
    expect(offered(without)).toContain(privateFund);
  });
});

type Transaction = DemoData['transactions'][number];
type Alert = { kind: string; rule: string | null; side: string | null; customer: number; reason: string; dueAt: string | null };

/**
 * Decides every movement of `data` again under `versions`, in time order, as the gateway would have
 * decided it then, with the facts src/data/facts.ts would have loaded from these rows: the customer
 * with the assessment they had taken by then; for a purchase or redemption the product, the
 * licences of its distributor and issuer, its current disclosures with the customer's
 * acknowledgements made by then; the business day and its calendar; the aml activity of the
 * customer (and a transfer's receiver) in the rows before it. Lists what disagrees with the rows
 * (stopping after `limit`): a movement the policies refuse, alerts other than those its decision
 * obliges (deposits: none). Also the reason codes of the decisions, and which movement types raised
 * which alert kinds on which side.
 */
async function checkMovements(data: DemoData, versions: DemoPolicies, limit = Infinity) {
  const customerById = new Map(data.customers.map((c) => [c.id, c]));
  const assessmentOf = new Map(data.riskAssessments.map((a) => [a.customer_id, a]));
  const productById = new Map(data.products.map((p) => [p.id, p]));
  const institutionById = new Map(data.institutions.map((i) => [i.id, i]));
  const accountOf = new Map<number, { from: number; to: number }>();
  for (const p of data.postings) accountOf.set(p.transaction_id, { ...accountOf.get(p.transaction_id)!, [p.amount.startsWith('-') ? 'from' : 'to']: p.account_id });
  const acknowledgedAt = new Map(data.acknowledgements.map((a) => [`${a.customer_id} ${a.disclosure_id}`, a.acknowledged_at]));
  const raised = new Map<number, Alert[]>();
  for (const a of data.alerts) {
    raised.set(a.transaction_id, [...(raised.get(a.transaction_id) ?? []), { kind: a.kind, rule: a.rule, side: a.side, customer: a.customer_id, reason: a.reason, dueAt: a.due_at }]);
  }
  const calendars = new Map<string, Promise<BusinessCalendarFact>>();
  const calendarAt = (at: Date) => {
    const date = businessDate(at, timeZone);
    if (!calendars.has(date)) calendars.set(date, factProviders.businessCalendar!.load(undefined as never, { keys: {}, now: at, timeZone }) as Promise<BusinessCalendarFact>);
    return calendars.get(date)!;
  };
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
  const productFacts = (productId: number, customerId: number, at: string) => {
    const product = productById.get(productId)!;
    const newest = new Map<string, DemoData['disclosures'][number]>();
    for (const d of data.disclosures) {
      if (d.product_id === product.id && d.published_at <= at && (newest.get(d.kind)?.version ?? 0) < d.version) newest.set(d.kind, d);
    }
    const currentDisclosures: DisclosureFact[] = [...newest.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind))
      .map((d) => {
        const sha256 = createHash('sha256').update(d.body, 'utf8').digest('hex');
        const acknowledged = acknowledgedAt.get(`${customerId} ${d.id}`);
        return {
          id: String(d.id),
          globalId: toGlobalId('Disclosure', String(d.id)),
          kind: d.kind,
          version: d.version,
          title: d.title,
          sha256,
          publishedAt: d.published_at,
          acknowledgement: acknowledged !== undefined && acknowledged <= at ? { at: acknowledged, sha256 } : null,
        };
      });
    const fact: ProductFact = {
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
    return { product: fact, distributorLicences: licencesOf(product.distributor_id), issuerLicences: licencesOf(product.issuer_id), currentDisclosures };
  };
  const customerFact = (customerId: number, at: string): CustomerFact => {
    const customer = customerById.get(customerId)!;
    const assessment = assessmentOf.get(customerId);
    const today = businessDate(new Date(at), timeZone);
    return {
      id: String(customer.id),
      institutionId: String(customer.institution_id),
      investorType: customer.investor_type,
      region: customer.region,
      // whole years on the business day
      age: Number(today.slice(0, 4)) - Number(customer.birth_date.slice(0, 4)) - (today.slice(5) < customer.birth_date.slice(5) ? 1 : 0),
      riskProfile:
        assessment && assessment.assessed_at <= at
          ? { tolerance: assessment.tolerance, lowestCategory: assessment.lowest_category, assessedAt: assessment.assessed_at, expiresAt: assessment.expires_at }
          : null,
      // the demo confirms no qualified investor
      qualifiedInvestor: null,
    };
  };

  // the rows so far, as the amlActivity query reads them: each customer's own transactions, and the transfers they received
  const booked = new Map<number, Transaction[]>();
  const receivedBy = new Map<number, Transaction[]>();
  const sideOfOwn = (t: Transaction) => (t.type === 'PURCHASE' || t.type === 'TRANSFER' ? 'OUTGOING' : 'INCOMING');
  const todayOf = (customerId: number, start: Date, end: Date): SideTotals => {
    const totals: Record<string, Record<string, { cents: bigint; count: number }>> = {};
    const add = (side: string, t: Transaction) => {
      const entry = ((totals[side] ??= {})[t.type] ??= { cents: 0n, count: 0 });
      entry.cents += toCents(t.amount);
      entry.count++;
    };
    const within = (t: Transaction) => Date.parse(t.created_at) >= start.getTime() && Date.parse(t.created_at) < end.getTime();
    for (const t of (booked.get(customerId) ?? []).filter(within)) add(sideOfOwn(t), t);
    for (const t of (receivedBy.get(customerId) ?? []).filter(within)) add('INCOMING', t);
    return Object.fromEntries(
      Object.entries(totals).map(([side, types]) => [side, Object.fromEntries(Object.entries(types).map(([type, e]) => [type, { total: formatCents(e.cents), count: e.count }]))]),
    );
  };
  const activityOf = (t: Transaction): AmlActivityFact => {
    const at = new Date(t.created_at);
    const { start, end } = businessDay(at, timeZone);
    const own = (booked.get(t.customer_id) ?? []).filter((o) => o.type !== 'DEPOSIT' && at.getTime() - Date.parse(o.created_at) < 1440 * 60_000).reverse();
    const todayAmounts: Record<string, string[]> = {};
    for (const o of own) if (Date.parse(o.created_at) >= start.getTime()) (todayAmounts[sideOfOwn(o)] ??= []).push(o.amount);
    for (const side of Object.keys(todayAmounts)) todayAmounts[side] = todayAmounts[side]!.slice(0, 20);
    return {
      currency: t.currency,
      customer: {
        id: String(t.customer_id),
        today: todayOf(t.customer_id, start, end),
        own: { within: Object.fromEntries(AML_WINDOWS_MINUTES.map((m) => [String(m), own.filter((o) => at.getTime() - Date.parse(o.created_at) < m * 60_000).length])), todayAmounts },
      },
      receiver: t.receiving_customer_id === null ? null : { id: String(t.receiving_customer_id), today: todayOf(t.receiving_customer_id, start, end) },
    };
  };

  const ACTIONS: Record<string, string> = { PURCHASE: 'product.purchase', REDEMPTION: 'product.redeem', TRANSFER: 'account.transfer' };
  const problems: string[] = [];
  const reasons = new Set<string>();
  const alerted = new Set<string>();
  const inTimeOrder = [...data.transactions].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  for (const t of inTimeOrder) {
    if (problems.length >= limit) break;
    const actual = raised.get(t.id) ?? [];
    let expected: Alert[] = [];
    if (t.type !== 'DEPOSIT') {
      const { from, to } = accountOf.get(t.id)!;
      const account = String(t.type === 'REDEMPTION' ? to : from);
      const customerId = String(t.customer_id);
      const at = new Date(t.created_at);
      const day = businessDay(at, timeZone);
      const calendar = await calendarAt(at);
      const request = (confirmRiskMismatch: boolean): PolicyRequest => ({
        principal: { id: `customer-${customerId}`, roles: ['customer'], customerId, scopes: [] },
        purpose: null,
        action: ACTIONS[t.type]!,
        resource: { type: 'Account', id: account, attributes: { id: account, customerId, institutionId: String(customerById.get(t.customer_id)!.institution_id), kind: 'CUSTOMER' } },
        facts: {
          customer: customerFact(t.customer_id, t.created_at),
          ...(t.product_id === null
            ? { product: null, distributorLicences: null, issuerLicences: null, currentDisclosures: null }
            : productFacts(t.product_id, t.customer_id, t.created_at)),
          businessDay: { date: businessDate(at, timeZone), start: day.start.toISOString(), end: day.end.toISOString() },
          businessCalendar: calendar,
          amlActivity: activityOf(t),
          coolingOff: null,
        },
        args: {
          input:
            t.type === 'TRANSFER'
              ? { fromAccountId: account, toAccountId: String(to), amount: t.amount }
              : t.type === 'PURCHASE'
                ? { productId: String(t.product_id), accountId: account, amount: t.amount, confirmRiskMismatch }
                : { productId: String(t.product_id), accountId: account, amount: t.amount },
        },
        now: at,
      });
      let decision: Decision = versions.decide(request(false));
      // a customer who insists confirms the warning the decision asks them to confirm
      if (!decision.allow && t.type === 'PURCHASE' && decision.obligations.confirm?.length) decision = versions.decide(request(true));
      for (const verdict of decision.verdicts) for (const reason of verdict.reasons) reasons.add(reason.code);
      if (!decision.allow) {
        problems.push(`${t.type} ${t.id} by customer ${t.customer_id} is refused (${decision.verdicts.flatMap((v) => v.reasons.map((r) => r.code)).join(', ')})`);
        continue;
      }
      // booked as src/money/alerts.ts books them: a sided rule's alert to the customer on that side
      expected = (decision.obligations.alerts ?? []).map((a) => {
        const [, rule, side] = /^(.+):(INCOMING|OUTGOING)$/.exec(a.rule ?? '') ?? [null, a.rule, null];
        const customer = side === 'INCOMING' && t.type === 'TRANSFER' ? t.receiving_customer_id! : t.customer_id;
        return { kind: a.kind, rule: rule ?? null, side: side ?? null, customer, reason: a.reason, dueAt: a.dueAt ?? null };
      });
    }
    for (const a of expected) alerted.add(`${t.type} ${a.kind}${a.side ? ` ${a.side}` : ''}`);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${t.type} ${t.id} of ${t.amount} by customer ${t.customer_id} at ${t.created_at}: raised ${JSON.stringify(actual)}, its decision obliges ${JSON.stringify(expected)}`);
    }
    booked.set(t.customer_id, [...(booked.get(t.customer_id) ?? []), t]);
    if (t.receiving_customer_id !== null) receivedBy.set(t.receiving_customer_id, [...(receivedBy.get(t.receiving_customer_id) ?? []), t]);
  }
  return { problems, reasons, alerted };
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
