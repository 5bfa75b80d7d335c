import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { toCents } from '../../src/money/amount.ts';
import { demoGenerator, generateDemo, type DemoData } from '../../src/seed/demo/generator.ts';
import { policiesInForce } from './seed-policies.ts';

const now = new Date('2026-06-30T00:00:00Z');
const policies = await policiesInForce();
const timeZone = loadConfig({}).timeZone;
const demo = generateDemo({ customers: 3000, seed: 'ledger-test', now, policies, timeZone });
/** Integer cents of a row's amount (exact far beyond these amounts). */
const cents = (amount: string) => Number(toCents(amount));
const productById = new Map(demo.products.map((p) => [p.id, p]));

describe('the generated catalogue', () => {
  it('offers every product category and every risk level, mostly online', () => {
    const categories = new Set(demo.products.map((p) => p.category));
    expect([...categories].sort()).toEqual(['DEPOSIT', 'FUND', 'INSURANCE', 'LOAN', 'PAYMENT', 'WEALTH_MANAGEMENT']);
    expect(new Set(demo.products.map((p) => p.risk_level))).toEqual(new Set(['R1', 'R2', 'R3', 'R4', 'R5']));
    const online = demo.products.filter((p) => p.status === 'ONLINE').length;
    expect(online / demo.products.length).toBeGreaterThan(0.6);
    for (const status of ['DRAFT', 'SUSPENDED', 'TERMINATED']) expect(demo.products.map((p) => p.status)).toContain(status);
  });

  it('has an institution of every kind, each with at least one licence, some lapsed or revoked', () => {
    expect(new Set(demo.institutions.map((i) => i.kind)).size).toBe(8);
    for (const institution of demo.institutions) {
      expect(demo.licences.some((l) => l.institution_id === institution.id), institution.name).toBe(true);
    }
    expect(demo.licences.some((l) => l.revoked)).toBe(true);
    expect(demo.licences.some((l) => l.valid_to !== null && Date.parse(l.valid_to) < now.getTime())).toBe(true);
    expect(new Set(demo.licences.map((l) => l.number)).size).toBe(demo.licences.length);
  });

  it('gives every product a published prospectus and a risk disclosure naming its risk level', () => {
    for (const product of demo.products) {
      const own = demo.disclosures.filter((d) => d.product_id === product.id);
      expect(own.some((d) => d.kind === 'PROSPECTUS')).toBe(true);
      const risk = own.filter((d) => d.kind === 'RISK_DISCLOSURE');
      expect(risk.length).toBeGreaterThan(0);
      for (const d of risk) expect(d.body).toContain(product.risk_level);
      if (product.category === 'FUND') expect(own.some((d) => d.kind === 'FEE_SCHEDULE')).toBe(true);
      for (const d of own) expect(Date.parse(d.published_at)).toBeLessThan(now.getTime());
    }
  });
});

describe('the generated ledger', () => {
  it('balances every transaction: two postings that sum to zero, amounts as decimal strings', () => {
    const sums = new Map<number, number>();
    const counts = new Map<number, number>();
    for (const posting of demo.postings) {
      expect(posting.amount).toMatch(/^-?[0-9]+\.[0-9]{2}$/);
      sums.set(posting.transaction_id, (sums.get(posting.transaction_id) ?? 0) + cents(posting.amount));
      counts.set(posting.transaction_id, (counts.get(posting.transaction_id) ?? 0) + 1);
    }
    for (const transaction of demo.transactions) {
      expect(transaction.amount).toMatch(/^[0-9]+\.[0-9]{2}$/);
      expect(cents(transaction.amount)).toBeGreaterThan(0);
      expect(sums.get(transaction.id)).toBe(0);
      expect(counts.get(transaction.id)).toBe(2);
    }
  });

  it('never takes an account other than clearing below zero, replayed in time order', () => {
    const { negative, clearing } = replay(demo);
    expect(negative).toEqual([]);
    expect(clearing).toBeLessThan(0);
  });

  it('keeps positions equal to purchases minus redemptions, never negative', () => {
    const expected = new Map<string, number>();
    for (const t of demo.transactions) {
      if (t.type !== 'PURCHASE' && t.type !== 'REDEMPTION') continue;
      const key = `${t.customer_id}/${t.product_id}`;
      expected.set(key, (expected.get(key) ?? 0) + (t.type === 'PURCHASE' ? 1 : -1) * cents(t.amount));
    }
    const actual = new Map(demo.positions.map((p) => [`${p.customer_id}/${p.product_id}`, cents(p.amount)]));
    expect(actual).toEqual(expected);
    for (const amount of actual.values()) expect(amount).toBeGreaterThanOrEqual(0);
  });

  it('sells only online products, at or above their minimum amount', () => {
    for (const t of demo.transactions.filter((t) => t.type === 'PURCHASE')) {
      const product = productById.get(t.product_id!)!;
      expect(product.status).toBe('ONLINE');
      expect(cents(t.amount)).toBeGreaterThanOrEqual(cents(product.min_amount));
    }
  });

  it('dates every transaction within the last year, after sign-up, non-decreasing per customer', () => {
    const signUp = new Map(demo.customers.map((c) => [c.id, Date.parse(c.created_at)]));
    const last = new Map<number, number>();
    for (const t of demo.transactions) {
      const at = Date.parse(t.created_at);
      expect(at).toBeLessThan(now.getTime());
      expect(at).toBeGreaterThanOrEqual(now.getTime() - 366 * 86_400_000);
      expect(at).toBeGreaterThanOrEqual(signUp.get(t.customer_id)!);
      expect(at).toBeGreaterThanOrEqual(last.get(t.customer_id) ?? 0);
      last.set(t.customer_id, at);
    }
  });
});

describe('generated risk assessments', () => {
  it('cover most customers, every tolerance class, some of the lowest category and some expired', () => {
    const share = demo.riskAssessments.length / demo.customers.length;
    expect(share).toBeGreaterThan(0.8);
    expect(share).toBeLessThan(0.9);
    expect(new Set(demo.riskAssessments.map((a) => a.tolerance))).toEqual(new Set(['C1', 'C2', 'C3', 'C4', 'C5']));
    expect(demo.riskAssessments.some((a) => Date.parse(a.expires_at) < now.getTime())).toBe(true);
    expect(demo.riskAssessments.some((a) => a.lowest_category)).toBe(true);
  });
});

describe('demo generation in batches', () => {
  it('yields the same customers whatever the batch size', () => {
    const batches = [...demoGenerator({ customers: 3000, seed: 'ledger-test', now, policies, timeZone }).batches(700)];
    expect(batches.map((b) => b.customers.length)).toEqual([700, 700, 700, 700, 200]);
    expect(batches.flatMap((b) => b.customers)).toEqual(demo.customers);
    expect(batches.flatMap((b) => b.postings)).toEqual(demo.postings);
  });
});

/** Applies the postings in time order; returns the accounts that went negative, and the clearing balance. */
function replay(data: DemoData): { negative: number[]; clearing: number } {
  const at = new Map(data.transactions.map((t) => [t.id, Date.parse(t.created_at)]));
  const postings = [...data.postings].sort(
    (a, b) => at.get(a.transaction_id)! - at.get(b.transaction_id)! || a.transaction_id - b.transaction_id,
  );
  const clearingId = data.accounts.find((a) => a.kind === 'SYSTEM')!.id;
  const balances = new Map<number, number>();
  const negative = new Set<number>();
  // a transaction's postings are applied together, as the database trigger does
  for (let i = 0; i < postings.length; ) {
    const id = postings[i]!.transaction_id;
    const touched: number[] = [];
    for (; i < postings.length && postings[i]!.transaction_id === id; i++) {
      const p = postings[i]!;
      balances.set(p.account_id, (balances.get(p.account_id) ?? 0) + cents(p.amount));
      touched.push(p.account_id);
    }
    for (const account of touched) if (balances.get(account)! < 0 && account !== clearingId) negative.add(account);
  }
  return { negative: [...negative], clearing: balances.get(clearingId) ?? 0 };
}
