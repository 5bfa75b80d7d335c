// The risk alerts of the demo's history, and how far compliance has got with them.

import { largeValueHits, type AmlRules } from '../../money/aml.ts';
import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import { CURRENCY } from './market.ts';
import type { AlertStatus, RiskAlertRow } from './rows.ts';
import { DAY, iso } from './time.ts';

/**
 * The row of an alert a movement raised (a decision's SUITABILITY_OVERRIDE, the aml rules'
 * LARGE_VALUE), stamped with the movement's time as src/money/alerts.ts writes it.
 */
export function alertRow(alert: AlertObligation, customerId: number, transactionId: number, at: number, rng: Random, now: number): RiskAlertRow {
  return {
    kind: alert.kind,
    status: reviewStatus(alert.kind, at, rng, now),
    customer_id: customerId,
    transaction_id: transactionId,
    rule: alert.rule,
    reason: alert.reason,
    created_at: iso(at),
  };
}

/**
 * The least a single transfer must move for the large-value rules to flag it on its own, if a
 * transfer of `cents` would be flagged at all; null otherwise.
 */
export function largeTransferThreshold(rules: AmlRules, cents: number): number | null {
  const hits = largeValueHits(rules, { type: 'TRANSFER', currency: CURRENCY, cents: BigInt(cents), sameDayBeforeCents: 0n });
  return hits.length === 0 ? null : Math.min(...hits.map((hit) => Number(hit.thresholdCents)));
}

/** Large-value alerts are reported to the regulator unless review finds them a mistake. */
const REPORTING = weightedTable<AlertStatus>([['REPORTED', 70], ['CLOSED', 20], ['UNDER_REVIEW', 10]]);
/** Other alerts are reviewed: most are closed, some still being looked at. */
const REVIEW = weightedTable<AlertStatus>([['CLOSED', 85], ['UNDER_REVIEW', 15]]);

/** New alerts are open; older ones have been dealt with (large-value reports are due within five working days). */
function reviewStatus(kind: AlertObligation['kind'], at: number, rng: Random, now: number): AlertStatus {
  if (now - at < 5 * DAY) return 'OPEN';
  return rng.weighted(kind === 'LARGE_VALUE' ? REPORTING : REVIEW);
}
