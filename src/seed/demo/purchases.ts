// Which demo purchases may happen: each is decided by the policy versions in force, as the gateway
// decides `purchaseProduct` (src/money/movements.ts): action `product.purchase` on the buyer's
// account, with the facts src/data/facts.ts loads (the customer with their risk profile as it
// stood at the time, the product), and the customer's input. The seed keeps no rule of its own
// about who may buy what.
//
// A decision costs tens of microseconds (suitability is Rego in wasm) and a purchase weighs every
// product on offer, so verdicts are kept per (buyer profile, product): `profileKey` holds exactly
// what of the customer the modules in force decide a purchase on. A module that reads more of the
// customer (the licensing module will read the region, and the day) must add it there;
// test/unit/seed-rules.test.ts decides every generated purchase again, uncached, and fails if a
// key is missing something.

import type { CustomerFact, ProductFact } from '../../data/facts.ts';
import type { VersionSet } from '../../policy/runtime.ts';
import type { AlertObligation, PolicyRequest } from '../../policy/types.ts';
import type { RiskProfile } from './risk-profiles.ts';
import { iso } from './time.ts';

/** The policies a purchase is decided by: a runtime's version set (`at(now)`). */
export type PurchasePolicies = Pick<VersionSet, 'decide' | 'facts'>;

/** How the policies answer a purchase. */
export type PurchaseVerdict =
  | { allowed: false }
  /** `confirmed`: allowed only once the customer confirms the special written risk warning (适当性办法 Art. 19). */
  | { allowed: true; confirmed: boolean; alerts: readonly AlertObligation[] };

/** Who is buying. */
export interface Buyer {
  id: number;
  institutionId: number;
  professional: boolean;
  region: string;
  /** Their risk assessment, if they ever took one (it counts from `assessedAt`). */
  assessment: RiskProfile | null;
}

/** The product on offer, as the policies see it. */
export interface ProductOnOffer {
  /** A dense index (0, 1, …) over the products on offer, for the verdict cache. */
  index: number;
  fact: ProductFact;
}

/** The facts the seed can hand the policies, as src/data/facts.ts provides them to the gateway. */
const SUPPLIED_FACTS: ReadonlySet<string> = new Set(['customer', 'product']);

/** How the policies answer this buyer, paying from one account at one instant, for each product. */
export type Verdicts = (product: ProductOnOffer) => PurchaseVerdict;

/** The verdicts for a buyer paying from `accountId` at `at`. */
export type PurchaseDecisions = (buyer: Buyer, accountId: number, at: number) => Verdicts;

/** Decides purchases under `policies`, remembering each verdict per (buyer profile, product). */
export function purchaseDecisions(policies: PurchasePolicies): PurchaseDecisions {
  // a module deciding on a fact the seed cannot supply would deny every purchase; say so instead
  const unsupplied = policies.facts.filter((fact) => !SUPPLIED_FACTS.has(fact));
  if (unsupplied.length > 0) {
    throw new Error(`the demo seed cannot decide purchases: the policies in force decide with facts it does not supply (${unsupplied.join(', ')})`);
  }
  const verdicts = new Map<string, PurchaseVerdict[]>();
  return (buyer, accountId, at) => {
    const key = profileKey(buyer, at);
    let byProduct = verdicts.get(key);
    if (!byProduct) verdicts.set(key, (byProduct = []));
    const known = byProduct;
    return (product) => (known[product.index] ??= decidePurchase(policies, buyer, product.fact, accountId, at));
  };
}

/**
 * The customer's side of a purchase decision, without identities and times: investor type,
 * tolerance, lowest category, and whether the assessment is absent, current or expired at `at`.
 */
function profileKey(buyer: Buyer, at: number): string {
  const investor = buyer.professional ? 'PROFESSIONAL' : 'ORDINARY';
  const a = buyer.assessment;
  if (!a || a.assessedAt > at) return `${investor} none`;
  return `${investor} ${a.tolerance} ${a.lowestCategory} ${a.expiresAt <= at ? 'expired' : 'current'}`;
}

/**
 * Decides a purchase of the product's minimum amount: first as customers first ask, then, when the
 * policies want the risk warning confirmed, confirmed (customers who insist do so).
 */
function decidePurchase(policies: PurchasePolicies, buyer: Buyer, product: ProductFact, accountId: number, at: number): PurchaseVerdict {
  const asked = policies.decide(purchaseRequest(buyer, product, accountId, product.minAmount, at, false));
  if (asked.allow) return { allowed: true, confirmed: false, alerts: asked.obligations.alerts ?? [] };
  if (!asked.obligations.confirm?.length) return { allowed: false };
  const confirmed = policies.decide(purchaseRequest(buyer, product, accountId, product.minAmount, at, true));
  return confirmed.allow ? { allowed: true, confirmed: true, alerts: confirmed.obligations.alerts ?? [] } : { allowed: false };
}

/** The request the gateway decides when this customer buys `amount` of the product from `accountId` at `at`. */
function purchaseRequest(buyer: Buyer, product: ProductFact, accountId: number, amount: string, at: number, confirmRiskMismatch: boolean): PolicyRequest {
  const customerId = String(buyer.id);
  const account = String(accountId);
  const customer = customerFact(buyer, at);
  return {
    principal: { id: `customer-${customerId}`, roles: ['customer'], customerId, scopes: [] },
    purpose: null,
    action: 'product.purchase',
    resource: { type: 'Account', id: account, attributes: { id: account, customerId, institutionId: customer.institutionId, kind: 'CUSTOMER' } },
    facts: { customer, product },
    args: { input: { productId: product.id, accountId: account, amount, confirmRiskMismatch } },
    now: new Date(at),
  };
}

/** The customer as src/data/facts.ts loads them: with the latest assessment taken by `at`. */
function customerFact(buyer: Buyer, at: number): CustomerFact {
  const a = buyer.assessment;
  return {
    id: String(buyer.id),
    institutionId: String(buyer.institutionId),
    investorType: buyer.professional ? 'PROFESSIONAL' : 'ORDINARY',
    region: buyer.region,
    riskProfile:
      a && a.assessedAt <= at
        ? { tolerance: a.tolerance, lowestCategory: a.lowestCategory, assessedAt: iso(a.assessedAt), expiresAt: iso(a.expiresAt) }
        : null,
  };
}
