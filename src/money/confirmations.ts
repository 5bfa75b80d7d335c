// What a customer confirmed when they bought above their risk tolerance (适当性办法 Art. 19: the
// special written risk warning): not just that they said yes, but to which text, under which policy
// version. The suitability policy asks for it in its denial: a `confirm` reason with code
// CONFIRM_RISK_MISMATCH whose message is the warning (and, where the policy names its texts, whose
// `ref` is the text's version id). The purchase records that text, its sha256 (any change to the
// words is another text), the `ref`, and the suitability version (module@version and its file's
// sha256) with the purchase, in the purchase's own statement.
//
// The client may echo the sha256 of the text it showed (`confirmedWarningSha256`): then a purchase
// whose warning changed since (a new policy version, a new risk profile, a regraded product) is
// refused with the current warning instead of being recorded as confirming words the customer never
// read; and the record says it was echoed. Without the echo, the text in force is recorded.

import { createHash } from 'node:crypto';
import type { Fragment } from 'postgres';
import type { Tx } from '../db/database.ts';
import type { RecordDecider, RecordDocument } from '../policy/permit.ts';
import type { Reason } from '../policy/types.ts';
import type { Gated } from './frame.ts';

/** The confirmation code of the special written risk warning (the suitability policy's). */
const CONFIRM_RISK_MISMATCH = 'CONFIRM_RISK_MISMATCH';

/** What the customer sent about the warning. */
export interface ConfirmationInput {
  confirmRiskMismatch: boolean;
  confirmedWarningSha256: string | null;
}

/**
 * Decides a purchase on its record. Without a confirmation, one decision. With one, the gate is first
 * asked about the purchase as if unconfirmed: if that is allowed, nothing needed confirming and
 * nothing is recorded; if it is refused asking for CONFIRM_RISK_MISMATCH, that reason is the warning
 * the confirmation answers, and the purchase is decided with the confirmation and records the
 * warning. Both decisions go to the decision stream: what was asked, and what allowed it. Any other
 * refusal, or an echoed sha256 of another text, stands as the first decision's POLICY_DENIED.
 * `suitability` is the suitability version in force.
 */
export function confirmedDecision(
  records: RecordDecider,
  record: RecordDocument,
  input: ConfirmationInput,
  suitability: { id: string; sha256: string } | undefined,
  now: Date,
): Gated {
  if (!input.confirmRiskMismatch) return { obligations: records.decide(record) };
  const args = record.args as { input: Record<string, unknown> };
  let warning: AskedConfirmation | undefined;
  try {
    return { obligations: records.decide({ ...record, args: { ...args, input: { ...args.input, confirmRiskMismatch: false } } }) };
  } catch (denial) {
    warning = confirmationsAsked(denial).find((reason) => reason.code === CONFIRM_RISK_MISMATCH);
    const sha256 = warning && sha256Hex(warning.message);
    if (!warning || !suitability || (input.confirmedWarningSha256 !== null && input.confirmedWarningSha256 !== sha256)) throw denial;
    const confirmed: Confirmation = {
      code: warning.code,
      policy: suitability,
      warning: warning.message,
      sha256: sha256!,
      ref: warning.ref ?? null,
      echoed: input.confirmedWarningSha256 !== null,
    };
    return { obligations: records.decide(record), alongside: (tx) => [confirmationStatement(tx, confirmed, now)] };
  }
}

/** A confirmation a denial asks for: a reason, and the version id of its text when the policy names one. */
type AskedConfirmation = Reason & { ref?: string };

/** One confirmed warning, as recorded. */
interface Confirmation {
  code: string;
  policy: { id: string; sha256: string };
  warning: string;
  sha256: string;
  ref: string | null;
  echoed: boolean;
}

/** The statement that records the confirmation with the new purchase (`t`), for the ledger's `alongside`. */
function confirmationStatement(tx: Tx, c: Confirmation, now: Date): Fragment {
  return tx`
    insert into purchase_confirmations (transaction_id, code, policy, policy_sha256, warning, warning_sha256, warning_ref, echoed, confirmed_at)
    select t.id, ${c.code}, ${c.policy.id}, ${c.policy.sha256}, ${c.warning}, ${c.sha256}, ${c.ref}, ${c.echoed}, ${now} from t`;
}

/** The confirmations a POLICY_DENIED error asks for (`extensions.decision.confirm`); rethrows anything else. */
function confirmationsAsked(error: unknown): readonly AskedConfirmation[] {
  const extensions = (error as { extensions?: { code?: string; decision?: { confirm?: AskedConfirmation[] } } }).extensions;
  if (extensions?.code !== 'POLICY_DENIED') throw error;
  return extensions.decision?.confirm ?? [];
}

/** The sha256 (hex) of a warning's text, as the client computes it over the message's UTF-8 bytes. */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
