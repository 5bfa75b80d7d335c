// The cooling-off module (投资冷静期): private funds and private wealth-management products give the
// investor at least 24 hours to change their mind after buying, with a full refund; a private fund's
// purchase completes only after a return call (回访) once the period is over (regulations S17, S18).
// This file validates the policy file's `data:` section: which product classes have a period, how
// long, whether a return call must follow, until when a purchase may be cancelled. Purchases read
// the terms from it (src/money/cooling-off.ts); the Rego beside the file decides each cancellation
// and each return call from the purchase's recorded period (the `coolingOff` fact).

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN } from '../src/policy/vocabulary.ts';

/** One class's terms. */
const terms = z.strictObject({
  /** S17/S18: at least 24 hours; a file that says less does not load. */
  hours: z.number().int().min(24, 'a cooling-off period is at least 24 hours (S17/S18)').max(24 * 30),
  /** The purchase completes only after a recorded return call. */
  returnCall: z.boolean(),
  /**
   * Until when the customer may cancel: the end of the period, or (with a return call) until the
   * return call is recorded, since the contract is signed only then.
   */
  cancelUntil: z.enum(['PERIOD_END', 'RETURN_CALL']),
  /** The rule that sets it, cited in the decisions' reasons. */
  regulation: z.string().min(1),
});

const data = z.strictObject({
  /** The actions this module decides: cancelling a purchase, recording its return call. */
  actions: z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as transaction.cancel')).min(1),
  /**
   * Product class → terms. A class is a product's offering and category, `PRIVATE_FUND`,
   * `PRIVATE_WEALTH_MANAGEMENT`…; a class not listed has no cooling-off period.
   */
  classes: z
    .record(z.string().regex(/^(PUBLIC|PRIVATE)_[A-Z_]+$/, 'must be <PUBLIC|PRIVATE>_<CATEGORY>, e.g. PRIVATE_FUND'), terms)
    .superRefine((classes, ctx) => {
      for (const [name, t] of Object.entries(classes)) {
        if (t.cancelUntil === 'RETURN_CALL' && !t.returnCall) ctx.addIssue({ code: 'custom', path: [name, 'cancelUntil'], message: 'RETURN_CALL needs returnCall: true' });
      }
    }),
});

const body = z.strictObject({ data });

/** The body of a cooling-off policy file: its `data:` section, the Rego policy's OPA data and the purchases' terms. */
export type CoolingOffBody = z.infer<typeof body>;

/** Cooling-off periods of private products: terms as data, cancellation and return-call rules in Rego. */
export function coolingOffPolicy(): PolicyModule<CoolingOffBody> {
  return {
    name: 'cooling-off',
    engine: 'rego',
    description: 'Cooling-off periods of private funds and private WMP: cancel for a full refund within them; private funds complete after a return call',
    body,
    facts: ['coolingOff'],
  };
}
