// The risk alerts of the demo's history, booked as src/money/alerts.ts books them, and how far
// compliance has got with them.

import { bookAlerts, type AlertParties } from '../../money/alerts.ts';
import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import type { AlertStatus, RiskAlertRow } from './rows.ts';
import { DAY, iso } from './time.ts';

/**
 * The rows of the alerts a movement's decision obliged, booked as the gateway books them: each about
 * the customer on its side or, without one, the customer the transaction is booked to (`parties`'
 * only one), with its deadline and the movement's time.
 */
export function alertRows(alerts: readonly AlertObligation[], parties: AlertParties<number>, transactionId: number, at: number, rng: Random, now: number): RiskAlertRow[] {
  const booked = parties.OUTGOING ?? parties.INCOMING!;
  return bookAlerts(alerts, parties).map((alert) => ({
    kind: alert.kind,
    status: reviewStatus(alert.kind, at, alert.dueAt, rng, now),
    customer_id: alert.customerId ?? booked,
    transaction_id: transactionId,
    rule: alert.rule,
    side: alert.side,
    reason: alert.reason,
    due_at: alert.dueAt,
    created_at: iso(at),
  }));
}

/** Large-value alerts are reported to the regulator unless review finds them a mistake. */
const REPORTING = weightedTable<AlertStatus>([['REPORTED', 70], ['CLOSED', 20], ['UNDER_REVIEW', 10]]);
/** Other alerts are reviewed: most are closed, some still being looked at. */
const REVIEW = weightedTable<AlertStatus>([['CLOSED', 85], ['UNDER_REVIEW', 15]]);
/** How long an alert with no deadline waits for review in the demo. */
const UNREVIEWED = 5 * DAY;

/** Alerts still within their deadline are open; older ones have been dealt with. */
function reviewStatus(kind: AlertObligation['kind'], at: number, dueAt: string | null, rng: Random, now: number): AlertStatus {
  if (now < (dueAt === null ? at + UNREVIEWED : Date.parse(dueAt))) return 'OPEN';
  return rng.weighted(kind === 'LARGE_VALUE' ? REPORTING : REVIEW);
}
