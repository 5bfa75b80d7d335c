// The licensing module (持牌经营): no financial business without the licence for it. The logic is
// Rego (policies/licensing/licensing.v<N>.rego, compiled to the wasm beside it); this file
// validates the policy file's `data:` section — which licence each product category needs, on
// which side, citing which rule — and names the facts the Rego decides with.

import { z } from 'zod';
import type { PolicyModule } from '../src/policy/types.ts';
import { ACTION_PATTERN, CODE_PATTERN } from '../src/policy/vocabulary.ts';

const code = z.string().regex(CODE_PATTERN, 'must be an UPPER_SNAKE_CASE code');
const citation = z.string().min(1);

/** What one side of a sale (the distributor, the issuer) must hold: any one of these licence types. */
const requirement = z.strictObject({
  licences: z.array(code).min(1),
  /** Cited by every denial about this side. */
  regulation: citation,
});

const data = z.strictObject({
  /** The actions this module decides, e.g. product.purchase; it abstains on all others. */
  actions: z.array(z.string().regex(ACTION_PATTERN, 'must be an action such as product.purchase')).min(1),
  /** The statuses a product may move to only when it could be sold (its licences hold). */
  listingStatuses: z.array(code).min(1),
  /** Product category → the licence its distributor and its issuer need. A category not listed cannot be sold. */
  categories: z.record(code, z.strictObject({ distributor: requirement, issuer: requirement })),
  /** Citations of the rules that are not about one category. */
  regulations: z.strictObject({
    /** No financial business without approval: cited when a category has no requirement at all. */
    principle: citation,
    /** A licence's region (经营地域范围) must cover the customer. */
    region: citation,
    /** Why redemptions are never refused for a licence. */
    redemption: citation,
  }),
});

const body = z.strictObject({ data });

/** The body of a licensing policy file: its `data:` section, the Rego policy's OPA data. */
export type LicensingBody = z.infer<typeof body>;

/**
 * Licensing for sales and listings: a purchase, and a product's move to a listing status (ONLINE),
 * need the product's distributor and issuer each to hold a licence of the type its category
 * requires, valid on the business day, not revoked, and (for a purchase) covering the customer's
 * region. Redemptions are never refused. The Rego reads the `product`, the `customer` (region),
 * the `businessDay` and the `distributorLicences` and `issuerLicences`.
 */
export function licensingPolicy(): PolicyModule<LicensingBody> {
  return {
    name: 'licensing',
    engine: 'rego',
    description: 'Licensing (持牌经营): distributor and issuer licensed for the product’s category, valid today, unrevoked, covering the customer’s region',
    body,
    facts: ['product', 'customer', 'businessDay', 'distributorLicences', 'issuerLicences'],
  };
}
