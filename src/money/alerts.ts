// Risk alerts a movement raises: the ones its policy decision obliged it to raise (the AML policy's
// large-value, high-frequency and structuring alerts; suitability's SUITABILITY_OVERRIDE when a
// customer confirmed the special risk warning, 适当性办法 Art. 19). They are written in the statement
// that writes the ledger transaction, so an alert exists exactly when its transaction does.
//
// An alert is about one customer: by default the one the transaction is booked to. An AML alert
// about one side of a customer's day names the side after its rule ("0503:INCOMING"): OUTGOING
// belongs to the customer whose account the movement debits, INCOMING to the one whose account it
// credits (a transfer's receiver), and is booked to them.

import type { Fragment } from 'postgres';
import type { Tx } from '../db/database.ts';
import type { Side } from '../data/facts.ts';
import type { AlertObligation } from '../policy/types.ts';

/** The customers holding each side of a movement; a side no customer holds (a collection account's) is absent. */
export type AlertParties<Id = string> = Partial<Record<Side, Id>>;

const SIDED = /^(.+):(INCOMING|OUTGOING)$/;

/** An alert as stored: its rule without the side, the side, and whose it is (null: the transaction's customer). */
export interface BookedAlert<Id = string> {
  kind: AlertObligation['kind'];
  rule: string | null;
  side: Side | null;
  customerId: Id | null;
  reason: string;
  dueAt: string | null;
}

/**
 * Whose each alert is (the gateway's movements and the demo seed book alike). Throws (the movement
 * fails, closed) for a side the movement has no customer on.
 */
export function bookAlerts<Id>(alerts: readonly AlertObligation[], parties: AlertParties<Id>): BookedAlert<Id>[] {
  return alerts.map((alert) => {
    const sided = alert.rule === null ? null : SIDED.exec(alert.rule);
    const side = (sided?.[2] as Side | undefined) ?? null;
    const customerId = side === null ? null : parties[side];
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    if (customerId === undefined) throw new Error(`alert ${alert.rule} is about the ${side} side of a movement no customer holds`);
    return { kind: alert.kind, rule: sided?.[1] ?? alert.rule, side, customerId, reason: alert.reason, dueAt: alert.dueAt ?? null };
  });
}

/**
 * The statement that inserts one OPEN alert per obligation for the new transaction, for the
 * ledger's `alongside` (it reads the new transaction's row as `t`).
 */
export function alertsStatement(tx: Tx, alerts: readonly AlertObligation[], parties: AlertParties): Fragment {
  const booked = bookAlerts(alerts, parties);
  const column = <K extends keyof BookedAlert>(key: K) => booked.map((a) => a[key]) as string[];
  return tx`
    insert into risk_alerts (kind, status, customer_id, transaction_id, rule, side, reason, due_at, created_at)
    select x.kind, 'OPEN', coalesce(x.customer_id, t.customer_id), t.id, x.rule, x.side, x.reason, x.due_at, t.created_at
      from t, unnest(${column('kind')}::text[], ${column('customerId')}::bigint[], ${column('rule')}::text[], ${column('side')}::text[],
                     ${column('reason')}::text[], ${column('dueAt')}::timestamptz[])
           as x(kind, customer_id, rule, side, reason, due_at)`;
}
