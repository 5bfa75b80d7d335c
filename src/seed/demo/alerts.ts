// The risk alerts of the demo's history, booked as src/money/alerts.ts books them, and how far
// compliance has got with them.

import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import type { AlertStatus, RiskAlertRow, Side } from './rows.ts';
import { DAY, iso } from './time.ts';

/** The customers holding each side of a movement (a side no customer holds, a collection account's, is absent). */
export type AlertParties = Partial<Record<Side, number>>;

/** An alert about one side of a customer's day names the side after its rule: "0503:INCOMING". */
const SIDED = /^(.+):(INCOMING|OUTGOING)$/;

/**
 * The rows of the alerts a movement's decision obliged: each about the customer on its side (or,
 * without one, the customer the transaction is booked to: `parties`' only one), with its rule
 * without the side, its deadline, and the movement's time. Throws for a side the movement has no
 * customer on, as the gateway refuses the movement then.
 */
export function alertRows(alerts: readonly AlertObligation[], parties: AlertParties, transactionId: number, at: number, rng: Random, now: number): RiskAlertRow[] {
  const booked = parties.OUTGOING ?? parties.INCOMING!;
  return alerts.map((alert) => {
    const sided = alert.rule === null ? null : SIDED.exec(alert.rule);
    const side = (sided?.[2] as Side | undefined) ?? null;
    const customerId = side === null ? booked : parties[side];
    if (customerId === undefined) throw new Error(`alert ${alert.rule} is about the ${side} side of a movement no customer holds`);
    const dueAt = alert.dueAt ?? null;
    return {
      kind: alert.kind,
      status: reviewStatus(alert.kind, at, dueAt, rng, now),
      customer_id: customerId,
      transaction_id: transactionId,
      rule: sided?.[1] ?? alert.rule,
      side,
      reason: alert.reason,
      due_at: dueAt,
      created_at: iso(at),
    };
  });
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
