// The risk alerts of the demo's history, and how far the AML team has got with them.

import { weightedTable, type Random } from '../random.ts';
import { formatYuan } from './amounts.ts';
import type { AlertStatus, RiskAlertRow } from './rows.ts';
import { DAY, iso } from './time.ts';

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
