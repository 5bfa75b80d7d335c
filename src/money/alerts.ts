// Risk alerts a movement raises: its own large-value alerts (aml.ts) and any the policy decision
// obliged it to raise (e.g. suitability's SUITABILITY_OVERRIDE when a customer confirmed the special
// risk warning, 适当性办法 Art. 19). They are written in the statement that writes the ledger
// transaction, so an alert exists exactly when its transaction does.

import type { Fragment } from 'postgres';
import type { Tx } from '../db/database.ts';
import type { AlertObligation } from '../policy/types.ts';

/**
 * The statement that inserts one OPEN alert per entry for the new transaction, for the ledger's
 * `alongside` (it reads the new transaction's row as `t`).
 */
export function alertsStatement(tx: Tx, alerts: readonly AlertObligation[]): Fragment {
  return tx`
    insert into risk_alerts (kind, status, customer_id, transaction_id, rule, reason, created_at)
    select x.kind, 'OPEN', t.customer_id, t.id, x.rule, x.reason, t.created_at
      from t, unnest(${alerts.map((a) => a.kind)}::text[], ${alerts.map((a) => a.rule)}::text[], ${alerts.map((a) => a.reason)}::text[])
           as x(kind, rule, reason)`;
}
