// The disclosure module (信息披露与风险揭示): a customer buys only after acknowledging the current
// version of the product's disclosures that its category requires, and a product goes on sale only
// with those published. The logic is Rego (policies/disclosure/disclosure.v<N>.rego, compiled to the
// wasm beside it); this file validates the policy file's `data:` section — which disclosure kinds
// each category requires, citing which rule — and names the facts the Rego decides with.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN, CODE_PATTERN } from '../src/policy/vocabulary.ts';

const code = z.string().regex(CODE_PATTERN, 'must be an UPPER_SNAKE_CASE code');
const kinds = z.array(code).min(1);

const data = z
  .strictObject({
    /** The actions this module decides, e.g. product.purchase; it abstains on all others. */
    actions: z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as product.purchase')).min(1),
    /** Cited when the product's disclosures cannot be established at all. */
    principle: z.string().min(1),
    /** The disclosure kinds a buyer must have acknowledged (the current version of each): by default, and per product category. */
    purchase: z.strictObject({ default: kinds, categories: z.record(code, kinds).default({}) }),
    /** The statuses a product moves to only with these kinds published. */
    listing: z.strictObject({ statuses: z.array(code).min(1), kinds }),
    /** Every kind named above: what it is called, and the rule that requires it (cited by denials). */
    kinds: z.record(code, z.strictObject({ name: z.string().min(1), regulation: z.string().min(1) })),
  })
  .superRefine((value, ctx) => {
    // a kind the Rego cannot cite would deny with no regulation: say so at load instead
    const named = (list: readonly string[], path: (string | number)[]) =>
      list.forEach((kind, i) => {
        if (!Object.hasOwn(value.kinds, kind)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `${kind} is not one of kinds` });
      });
    named(value.purchase.default, ['purchase', 'default']);
    for (const [category, list] of Object.entries(value.purchase.categories)) named(list, ['purchase', 'categories', category]);
    named(value.listing.kinds, ['listing', 'kinds']);
  });

const body = z.strictObject({ data });

/** The body of a disclosure policy file: its `data:` section, the Rego policy's OPA data. */
export type DisclosureBody = z.infer<typeof body>;

/**
 * Disclosure for sales and listings: a purchase is refused (DISCLOSURE_NOT_ACKNOWLEDGED, naming
 * the disclosure) until the customer has acknowledged the current version of every disclosure kind
 * the product's category requires — the acknowledgement must record that version's content hash, so
 * a new version needs a new acknowledgement — and a product moves to a listing status (ONLINE) only
 * with those kinds published. The Rego reads the `product` and its `currentDisclosures`.
 */
export function disclosurePolicy(): PolicyModule<DisclosureBody> {
  return {
    name: 'disclosure',
    engine: 'rego',
    description: 'Disclosure: purchases need the current risk disclosure (and, per category, prospectus) acknowledged; listings need them published',
    body,
    facts: ['product', 'currentDisclosures'],
  };
}
