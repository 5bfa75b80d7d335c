// The risk alerts of the demo's history, and how far compliance has got with them.

import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import { formatYuan } from './amounts.ts';
import type { AlertStatus, RiskAlertRow } from './rows.ts';
import { DAY, iso } from './time.ts';

/**
 * The row of an alert a decision obliged a movement to raise (e.g. suitability's
 * SUITABILITY_OVERRIDE), stamped with the movement's time as src/money/alerts.ts writes it.
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

/** The 0503 large-value alert of a transfer of `cents` at `at`, reviewed unless it is recent. */
export function largeValueAlert(customerId: number, transactionId: number, cents: number, at: number, rng: Random, now: number): RiskAlertRow {
  // reports are due within five working days; older alerts have been dealt with
  const status: AlertStatus = now - at < 5 * DAY ? 'OPEN' : rng.weighted(ALERT_OUTCOMES);
  return {
    kind: 'LARGE_VALUE',
    status,
    customer_id: customerId,
    transaction_id: transactionId,
    rule: '0503',
    reason: `自然人客户单笔境内款项划转人民币${formatYuan(cents)}元，达到人民币50万元的大额交易报告标准，依据《金融机构大额交易和可疑交易报告管理办法》第5条报告。`,
    created_at: iso(at + rng.int(1_000, 30_000)),
  };
}

const ALERT_OUTCOMES = weightedTable<AlertStatus>([['REPORTED', 70], ['CLOSED', 20], ['UNDER_REVIEW', 10]]);
/** What review makes of other alerts: most are closed, some still being looked at. */
const REVIEW_OUTCOMES = weightedTable<AlertStatus>([['CLOSED', 85], ['UNDER_REVIEW', 15]]);

/** New alerts are open; older ones have been dealt with (large-value reports are due within five working days). */
function reviewStatus(kind: AlertObligation['kind'], at: number, rng: Random, now: number): AlertStatus {
  if (now - at < 5 * DAY) return 'OPEN';
  return rng.weighted(kind === 'LARGE_VALUE' ? ALERT_OUTCOMES : REVIEW_OUTCOMES);
}
