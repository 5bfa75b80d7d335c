// The AML data module: the large-value transaction rules (大额交易报告标准) that money movements
// apply, as data compliance edits in policies/aml/. The business day they total over is the
// gateway's (FINGATE_TIME_ZONE). Services read the body (src/money/aml.ts); the
// module itself decides nothing yet (engine `data` abstains). When AML becomes a Rego module its
// decision can take over, with these thresholds as its data.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';

/** An amount in the rule's currency: a decimal string with exactly two places, never a float. */
const amount = z.string().regex(/^(0|[1-9]\d{0,15})\.\d{2}$/, 'must be a decimal string with two places, e.g. "500000.00"');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as CNY');
const customerType = z.enum(['NATURAL', 'NON_NATURAL']);
const channel = z.enum(['CASH', 'TRANSFER']);
const scope = z.enum(['DOMESTIC', 'CROSS_BORDER']);
/** The ledger's transaction types that move money between a customer's account and another account. */
const transactionType = z.enum(['TRANSFER', 'PURCHASE', 'REDEMPTION']);

/** One large-value rule: a PBOC feature code and the movements it covers, with thresholds per currency. */
const largeValueRule = z.strictObject({
  /** The CAMLMAC feature code, e.g. "0503". */
  code: z.string().regex(/^\d{4}$/, 'must be a four-digit feature code such as "0503"'),
  description: z.string().min(1),
  /** The article that sets it, cited in the alert. */
  regulation: z.string().min(1),
  channel,
  customerTypes: z.array(customerType).min(1),
  scopes: z.array(scope).min(1),
  /** Per currency: single or same-day cumulative amounts at (or above, see `comparison`) these are large. */
  thresholds: z.record(currency, amount).refine((t) => Object.keys(t).length > 0, 'needs at least one currency'),
});

const body = z.strictObject({
  largeValue: z.strictObject({
    /** GTE: "以上（含）", the threshold itself is large. GT would exclude it. */
    comparison: z.enum(['GTE', 'GT']),
    aggregation: z.strictObject({
      /** Single transactions and their same-day cumulative total both count. */
      window: z.literal('BUSINESS_DAY'),
      /** Whose transactions add up: the customer a transaction is booked to. */
      per: z.literal('CUSTOMER'),
    }),
    /** How this platform's movements fall into the rules' categories. */
    classification: z.strictObject({
      customerType,
      channel,
      scope,
      /** Which ledger transaction types count, singly and towards the same-day total. */
      transactionTypes: z.array(transactionType).min(1),
    }),
    rules: z
      .array(largeValueRule)
      .min(1)
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((rule, i) => {
          if (seen.has(rule.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `code ${rule.code} appears twice` });
          seen.add(rule.code);
        });
      }),
  }),
});

/** The `aml` policy module (engine `data`): validates the file; src/money/aml.ts applies its rules. */
export function amlPolicy(): PolicyModule<z.infer<typeof body>> {
  return {
    name: 'aml',
    engine: 'data',
    description: 'Anti-money-laundering rules as data: large-value transaction thresholds (PBOC Order 〔2016〕No.3 Art.5)',
    body,
  };
}
