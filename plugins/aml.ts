// The AML module (反洗钱): which money movements raise risk alerts, and by when they must be reported.
// The logic is Rego (policies/aml/aml.v<N>.rego, compiled to the wasm beside it): large-value
// transactions per customer and per side of their day (单边累计: incoming and outgoing totalled
// apart, the receiver of a transfer included), high frequency, and structuring just under a
// threshold. This file validates the policy file's `data:` section (the thresholds, the working-day
// calendar), which the Rego reads as OPA data, and names the facts it decides with. The module allows
// every movement it can screen and obliges it to raise alerts (`alerts`, with `dueAt`); one it cannot
// screen (facts missing or unreadable) it refuses: fail closed.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN, AML_WINDOWS_MINUTES } from '../src/policy/vocabulary.ts';

/** An amount: a decimal string with exactly two places, never a float (the Rego compares integer cents). */
const amount = z.string().regex(/^(0|[1-9]\d{0,15})\.\d{2}$/, 'must be a decimal string with two places, e.g. "500000.00"');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY');
const customerType = z.enum(['NATURAL', 'NON_NATURAL']);
const channel = z.enum(['CASH', 'TRANSFER']);
const scope = z.enum(['DOMESTIC', 'CROSS_BORDER']);
/** The ledger's transaction types that move a customer's money (reversals are corrections, not movements). */
const transactionType = z.enum(['DEPOSIT', 'TRANSFER', 'PURCHASE', 'REDEMPTION']);
/** The rule an alert names (risk_alerts.rule): a feature code such as "0503", or a house rule id. */
const ruleId = z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,31}$/, 'must be a rule id such as "0503" or "AML-HF-01"');
const citation = z.string().min(1);
/** Working days to report or review by; the `businessCalendar` fact spans three weeks: 7 and the longest holiday. */
const workingDays = z.number().int().min(1).max(7);
const date = z.iso.date();

const distinct = <T extends z.ZodType>(item: T, key: (value: z.infer<T>) => string, what: string) =>
  z.array(item).superRefine((values, ctx) => {
    const seen = new Set<string>();
    values.forEach((value, i) => {
      if (seen.has(key(value))) ctx.addIssue({ code: 'custom', path: [i], message: `${what} ${key(value)} appears twice` });
      seen.add(key(value));
    });
  });

/** One large-value rule: a PBOC feature code, the movements it covers, thresholds per currency. */
const largeValueRule = z.strictObject({
  code: z.string().regex(/^\d{4}$/, 'must be a four-digit feature code such as "0503"'),
  description: z.string().min(1),
  /** The article that sets it, cited in the alert. */
  regulation: citation,
  channel,
  customerTypes: z.array(customerType).min(1),
  scopes: z.array(scope).min(1),
  /** Per currency: single or same-day cumulative amounts at (or above, see `comparison`) these are large. */
  thresholds: z.record(currency, amount).refine((t) => Object.keys(t).length > 0, 'needs at least one currency'),
});

const range = z
  .strictObject({ from: amount, below: amount })
  .refine((r) => cents(r.from) < cents(r.below), { message: 'from must be below `below`', path: ['from'] });

/** Integer cents of a two-place decimal string (amounts never pass through a float). */
function cents(decimal: string): bigint {
  return BigInt(decimal.replace('.', ''));
}

const data = z.strictObject({
  /** The movements this module decides (it abstains on every other action). */
  actions: z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as account.transfer')).min(1),
  /** How this platform's customers and movements fall into the rules' categories. */
  classification: z.strictObject({ customerType, channel, scope }),
  largeValue: z.strictObject({
    /** GTE: "以上（含）", the threshold itself is large. GT would exclude it. */
    comparison: z.enum(['GTE', 'GT']),
    /** Which transaction types count, singly and towards each side's same-day total. */
    countedTypes: z.array(transactionType).min(1),
    /** Report within this many working days after the transaction's business day. */
    reportWorkingDays: workingDays,
    rules: distinct(largeValueRule, (r) => r.code, 'code').min(1),
  }),
  /**
   * N of one customer's own movements (purchases, redemptions, transfers sent: the ones this module
   * decides, so each step of the count is seen) within M minutes.
   */
  highFrequency: z.strictObject({
    rule: ruleId,
    movements: z.number().int().min(2).max(10_000),
    /** The `amlActivity` fact counts over these windows only. */
    withinMinutes: z.number().refine((m) => (AML_WINDOWS_MINUTES as readonly number[]).includes(m), `must be one of ${AML_WINDOWS_MINUTES.join(', ')}`),
    reviewWorkingDays: workingDays,
    regulation: citation,
  }),
  /** Several of one customer's own movements of one business day just under a threshold, per side and currency. */
  structuring: z.strictObject({
    rule: ruleId,
    /** The `amlActivity` fact lists at most 20 of today's amounts per side. */
    movements: z.number().int().min(2).max(20),
    /** Per currency: an amount at or above `from` and below `below` is "just under". */
    ranges: z.record(currency, range).refine((r) => Object.keys(r).length > 0, 'needs at least one currency'),
    reviewWorkingDays: workingDays,
    regulation: citation,
  }),
  /** Which days are working days (工作日), for deadlines. */
  calendar: z.strictObject({
    /** ISO weekdays that are not working days (6 Saturday, 7 Sunday). */
    weekend: z.array(z.number().int().min(1).max(7)),
    /** Public holidays on working weekdays (法定节假日). */
    holidays: z.array(date),
    /** Weekend days made working days (调休). */
    workingWeekends: z.array(date),
  }),
});

const body = z.strictObject({ data });

/** The body of an AML policy file: its `data:` section, the Rego policy's OPA data. */
export type AmlBody = z.infer<typeof body>;

/**
 * AML monitoring of money movements (反洗钱法 第35条, 金融机构大额交易和可疑交易报告管理办法): the
 * Rego decides each purchase, redemption and transfer from `amlActivity` (each side's totals of
 * the business day for the acting customer and a transfer's receiver, and the acting customer's
 * recent movements) and `businessCalendar` (the days ahead, for deadlines).
 */
export function amlPolicy(): PolicyModule<AmlBody> {
  return {
    name: 'aml',
    engine: 'rego',
    description: 'AML monitoring: large-value (per customer and side), high-frequency and structuring alerts, each with its report deadline',
    body,
    facts: ['amlActivity', 'businessCalendar'],
  };
}
