// Large-value transaction alerts (PBOC Order 〔2016〕No.3 Art.5): a movement that alone, or with the
// customer's earlier transactions of the same business day, reaches a threshold raises a
// LARGE_VALUE risk alert in the movement's own database transaction (alerts.ts writes it in the
// very statement that writes the ledger transaction). The rules are data (policies/aml/); the
// decision is a pure function of amounts; the same-day total is one indexed query. Once a
// customer's day has reached the threshold, each further counted transaction that day is
// large-value too (it is part of a qualifying cumulative amount) and raises its own alert.
// A transaction counts for the customer it is booked to (the sender of a transfer, the buyer, the
// redeemer); the receiving side of a customer-to-customer transfer is not counted for the receiver.

import { businessDay } from '../clock.ts';
import { permitted } from '../data/query.ts';
import type { Tx } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { AlertObligation } from '../policy/types.ts';
import { formatCents, toCents } from './amount.ts';

/** The large-value rules as the `aml` policy file states them (plugins/aml.ts validates the file). */
export interface AmlRules {
  largeValue: {
    /** GTE: "以上（含）", the threshold itself is large. */
    comparison: 'GTE' | 'GT';
    classification: { customerType: string; channel: string; scope: string; transactionTypes: readonly string[] };
    rules: readonly LargeValueRule[];
  };
}

/** One large-value rule: a PBOC feature code, the movements it covers, thresholds per currency. */
export interface LargeValueRule {
  code: string;
  description: string;
  regulation: string;
  channel: string;
  customerTypes: readonly string[];
  scopes: readonly string[];
  thresholds: Readonly<Record<string, string>>;
}

/** The facts of one movement the large-value rules look at. Amounts are integer cents. */
export interface MovementFacts {
  type: string;
  currency: string;
  cents: bigint;
  /** What the same customer's counted transactions of this business day already add up to, in `currency`. */
  sameDayBeforeCents: bigint;
}

/** A rule the movement met, and on what basis. */
export interface LargeValueHit {
  rule: LargeValueRule;
  /** SINGLE when the transaction alone reaches the threshold, else CUMULATIVE (the day's total does). */
  basis: 'SINGLE' | 'CUMULATIVE';
  thresholdCents: bigint;
  /** The day's total including this transaction. */
  totalCents: bigint;
}

/** Whether the rules count this transaction type (singly and towards the same-day total). */
export const counts = (rules: AmlRules, type: string): boolean =>
  (rules.largeValue.classification.transactionTypes as readonly string[]).includes(type);

/**
 * The large-value rules a movement meets. A rule applies when it covers this platform's customer
 * type, channel and scope (the file's classification) and has a threshold in the movement's currency.
 */
export function largeValueHits(rules: AmlRules, facts: MovementFacts): LargeValueHit[] {
  const { comparison, classification } = rules.largeValue;
  if (!counts(rules, facts.type)) return [];
  const reaches = (cents: bigint, threshold: bigint) => (comparison === 'GTE' ? cents >= threshold : cents > threshold);
  const totalCents = facts.sameDayBeforeCents + facts.cents;
  const hits: LargeValueHit[] = [];
  for (const rule of rules.largeValue.rules) {
    const threshold = rule.thresholds[facts.currency];
    if (
      threshold === undefined ||
      rule.channel !== classification.channel ||
      !rule.customerTypes.includes(classification.customerType) ||
      !rule.scopes.includes(classification.scope)
    ) {
      continue;
    }
    const thresholdCents = toCents(threshold);
    if (reaches(facts.cents, thresholdCents)) hits.push({ rule, basis: 'SINGLE', thresholdCents, totalCents });
    else if (reaches(totalCents, thresholdCents)) hits.push({ rule, basis: 'CUMULATIVE', thresholdCents, totalCents });
  }
  return hits;
}

/** The LARGE_VALUE alerts a movement raises: one per rule it meets. */
export function largeValueAlerts(rules: AmlRules, facts: MovementFacts): AlertObligation[] {
  return largeValueHits(rules, facts).map((hit) => ({ kind: 'LARGE_VALUE', rule: hit.rule.code, reason: alertReason(hit, facts) }));
}

/** The alert's reason: what happened, against which threshold, under which article. */
export function alertReason(hit: LargeValueHit, facts: MovementFacts): string {
  const amount = `${facts.currency} ${formatCents(facts.cents)}`;
  const threshold = `${facts.currency} ${formatCents(hit.thresholdCents)}`;
  const what =
    hit.basis === 'SINGLE'
      ? `单笔${amount}`
      : `当日累计${facts.currency} ${formatCents(hit.totalCents)}（本笔${amount}）`;
  return `${hit.rule.description}：${what}，达到大额交易报告标准${threshold}（${hit.rule.code}），依据${hit.rule.regulation}。`;
}

/**
 * What the counted transactions of the customer who owns `accountKey` add up to, in the account's
 * currency, in the business day of `now` (reversed ones included: they happened). One indexed query
 * on (customer_id, created_at); run it under the customer's lock so no concurrent movement of theirs
 * is missing from it.
 */
export async function sameDayTotal(tx: Tx, rules: AmlRules, accounts: Permit, accountKey: string, now: Date, timeZone: string): Promise<bigint> {
  const { start, end } = businessDay(now, timeZone);
  const [row] = await tx<{ total: string }[]>`
    select coalesce(sum(t.amount), 0)::text as total
      from accounts a join transactions t on t.customer_id = a.customer_id and t.currency = a.currency
     where a.id = ${accountKey} and ${permitted(tx as never, accounts, 'Account')}
       and t.created_at >= ${start} and t.created_at < ${end}
       and t.type = any(${rules.largeValue.classification.transactionTypes as string[]})
       and t.status in ('COMPLETED', 'REVERSED')`.execute();
  return toCents(row?.total ?? '0');
}
