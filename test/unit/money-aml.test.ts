import { describe, expect, it } from 'vitest';
import { amlPolicy } from '../../plugins/aml.ts';
import { businessDay } from '../../src/clock.ts';
import { alertReason, largeValueHits, type AmlRules, type MovementFacts } from '../../src/money/aml.ts';
import { toCents } from '../../src/money/amount.ts';

/** The shape of policies/aml/aml.v1.yaml, through the module's own schema. */
const rules: AmlRules = amlPolicy().body!.parse({
  largeValue: {
    comparison: 'GTE',
    aggregation: { window: 'BUSINESS_DAY', per: 'CUSTOMER' },
    classification: { customerType: 'NATURAL', channel: 'TRANSFER', scope: 'DOMESTIC', transactionTypes: ['TRANSFER', 'PURCHASE', 'REDEMPTION'] },
    rules: [
      { code: '0501', description: 'cash', regulation: 'Art.5(1)', channel: 'CASH', customerTypes: ['NATURAL', 'NON_NATURAL'], scopes: ['DOMESTIC', 'CROSS_BORDER'], thresholds: { CNY: '50000.00', USD: '10000.00' } },
      { code: '0502', description: 'non-natural', regulation: 'Art.5(2)', channel: 'TRANSFER', customerTypes: ['NON_NATURAL'], scopes: ['DOMESTIC', 'CROSS_BORDER'], thresholds: { CNY: '2000000.00', USD: '200000.00' } },
      { code: '0503', description: 'natural domestic', regulation: 'Art.5(3)', channel: 'TRANSFER', customerTypes: ['NATURAL'], scopes: ['DOMESTIC'], thresholds: { CNY: '500000.00', USD: '100000.00' } },
      { code: '0504', description: 'natural cross-border', regulation: 'Art.5(4)', channel: 'TRANSFER', customerTypes: ['NATURAL'], scopes: ['CROSS_BORDER'], thresholds: { CNY: '200000.00', USD: '10000.00' } },
    ],
  },
});

const facts = (amount: string, before = '0', type = 'TRANSFER', currency = 'CNY'): MovementFacts => ({
  type,
  currency,
  cents: toCents(amount),
  sameDayBeforeCents: toCents(before),
});
const codes = (f: MovementFacts, r = rules) => largeValueHits(r, f).map((h) => `${h.rule.code}:${h.basis}`);

describe('large-value decision (PBOC Order 〔2016〕No.3 Art.5)', () => {
  it('flags a natural person’s domestic transfer of exactly ¥500,000.00 as 0503, single', () => {
    expect(codes(facts('500000.00'))).toEqual(['0503:SINGLE']);
  });

  it('does not flag ¥499,999.99', () => {
    expect(codes(facts('499999.99'))).toEqual([]);
  });

  it('flags the transaction that brings the same-day total to the threshold, and each one after it', () => {
    expect(codes(facts('0.01', '499999.98'))).toEqual([]);
    expect(codes(facts('0.01', '499999.99'))).toEqual(['0503:CUMULATIVE']);
    expect(codes(facts('1.00', '600000.00'))).toEqual(['0503:CUMULATIVE']);
  });

  it('applies only the rules of this platform’s customers and channel: no cash, no non-natural, no cross-border codes', () => {
    expect(codes(facts('3000000.00'))).toEqual(['0503:SINGLE']);
  });

  it('counts purchases and redemptions as transfers, and nothing else', () => {
    expect(codes(facts('500000.00', '0', 'PURCHASE'))).toEqual(['0503:SINGLE']);
    expect(codes(facts('500000.00', '0', 'REDEMPTION'))).toEqual(['0503:SINGLE']);
    expect(codes(facts('500000.00', '0', 'DEPOSIT'))).toEqual([]);
    expect(codes(facts('500000.00', '0', 'REVERSAL'))).toEqual([]);
  });

  it('uses the threshold of the transaction’s currency, and none where the file has none', () => {
    expect(codes(facts('100000.00', '0', 'TRANSFER', 'USD'))).toEqual(['0503:SINGLE']);
    expect(codes(facts('99999.99', '0', 'TRANSFER', 'USD'))).toEqual([]);
    expect(codes(facts('9000000.00', '0', 'TRANSFER', 'EUR'))).toEqual([]);
  });

  it('excludes the threshold itself when the file says GT', () => {
    const strict: AmlRules = { largeValue: { ...rules.largeValue, comparison: 'GT' } };
    expect(codes(facts('500000.00'), strict)).toEqual([]);
    expect(codes(facts('500000.01'), strict)).toEqual(['0503:SINGLE']);
  });

  it('follows the file when the classification changes: a cross-border platform meets 0504', () => {
    const crossBorder: AmlRules = { largeValue: { ...rules.largeValue, classification: { ...rules.largeValue.classification, scope: 'CROSS_BORDER' } } };
    expect(codes(facts('200000.00'), crossBorder)).toEqual(['0504:SINGLE']);
  });

  it('explains the alert with the amounts, the threshold, the code and the article', () => {
    const f = facts('0.01', '499999.99');
    const [hit] = largeValueHits(rules, f);
    const reason = alertReason(hit!, f);
    for (const part of ['CNY 500000.00', 'CNY 0.01', '0503', 'Art.5(3)']) expect(reason).toContain(part);
  });
});

describe('the business day', () => {
  it('runs from midnight to midnight in Asia/Shanghai (UTC+8)', () => {
    // 2026-03-01 23:30 in Beijing is 15:30 UTC
    expect(businessDay(new Date('2026-03-01T15:30:00Z'), 'Asia/Shanghai')).toEqual({
      start: new Date('2026-02-28T16:00:00Z'),
      end: new Date('2026-03-01T16:00:00Z'),
    });
    // 00:30 the next day in Beijing is 16:30 UTC of the same UTC day: already the next business day
    expect(businessDay(new Date('2026-03-01T16:30:00Z'), 'Asia/Shanghai').start).toEqual(new Date('2026-03-01T16:00:00Z'));
  });

  it('is shorter on a day clocks go forward in zones that have daylight saving', () => {
    const { start, end } = businessDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin');
    expect(start).toEqual(new Date('2026-03-28T23:00:00Z'));
    expect(end).toEqual(new Date('2026-03-29T22:00:00Z'));
  });

  it('crosses month and year ends', () => {
    expect(businessDay(new Date('2026-12-31T20:00:00Z'), 'Asia/Shanghai')).toEqual({
      start: new Date('2026-12-31T16:00:00Z'),
      end: new Date('2027-01-01T16:00:00Z'),
    });
  });
});

describe('the aml policy file schema', () => {
  it('refuses thresholds written as numbers and duplicate codes', () => {
    const body = amlPolicy().body!;
    const rule = rules.largeValue.rules[2]!;
    expect(body.safeParse({ largeValue: { ...rules.largeValue, rules: [{ ...rule, thresholds: { CNY: 500000 } }] } }).success).toBe(false);
    expect(body.safeParse({ largeValue: { ...rules.largeValue, rules: [rule, rule] } }).success).toBe(false);
  });
});
