// Which demo purchases may happen: each is decided by the policy versions in force, as the gateway
// decides `purchaseProduct` (src/money/movements.ts): action `product.purchase` on the buyer's
// account, with the facts src/data/facts.ts would load (movements.ts asks), and the customer's
// input. The seed keeps no rule of its own about who may buy what, where or when.
// What it does decide is how its customers behave: before buying they read and acknowledge the
// product's current risk disclosure (and its product description, when the policies want that
// too), and a few insist on buying above their tolerance once warned.
//
// Choosing what to buy asks about many products, and a decision runs every module (suitability,
// licensing, disclosure and aml are Rego in wasm), so the answers that choose are kept per class of
// purchase: `classOf`, `placeOf` and `momentOf` hold what the facts
// of two purchases of one product can differ by, identities and exact times aside (the buyer's
// profile; their region as it relates to those the product's licences name; which of its licence
// dates have come; which of its disclosures are published). Facts that come to differ by more must
// be added there; test/unit/seed-rules.test.ts decides every generated purchase again, uncached,
// and fails if a class is missing something. The purchase chosen is then decided once more as it is
// made (`decidePurchase`: its amount, the day's activity, the acknowledgements as made), and that
// decision books it and raises its alerts.

import { createHash } from 'node:crypto';
import type { AmlActivityFact, LicencesFact, ProductFact } from '../../data/facts.ts';
import type { Decision, PolicyRequest } from '../../policy/types.ts';
import { decimal } from './amounts.ts';
import { currentDisclosures, SUPPLIED_FACTS, type Customer, type PublishedDisclosure } from './facts.ts';
import { movementRequest, productFacts, type Deciding } from './movements.ts';
import type { DisclosureKind, PurchaseConfirmationRow } from './rows.ts';
import type { BusinessDay } from './time.ts';

/** How the policies answer a purchase. */
export type PurchaseVerdict =
  | { allowed: false }
  /**
   * `confirmed`: allowed only once the customer confirms the special written risk warning
   * (适当性办法 Art. 19); `read`: the kinds of disclosure the customer acknowledged first.
   */
  | { allowed: true; confirmed: boolean; read: readonly DisclosureKind[] };

/** The product on offer, with the facts about it that do not depend on the buyer. */
export interface ProductOnOffer {
  /** A dense index (0, 1, …) over the products on offer, for the verdict cache. */
  index: number;
  fact: ProductFact;
  distributorLicences: LicencesFact;
  issuerLicences: LicencesFact;
  /** Every version of every kind, oldest first. */
  disclosures: readonly PublishedDisclosure[];
  /** The days its distributor's and issuer's licences start or stop being within their dates, in order. */
  licenceDays: readonly string[];
  /** The regions its distributor's and issuer's licences name. */
  licenceRegions: readonly string[];
}

/** How the policies answer this buyer, paying from one account at one instant, for each product. */
export type Verdicts = (product: ProductOnOffer) => PurchaseVerdict;

/** The verdicts for a buyer paying from `accountId` at `at`, whose activity then is `activity`. */
export type PurchaseDecisions = (buyer: Customer, accountId: number, at: number, activity: AmlActivityFact) => Verdicts;

/**
 * What customers read and acknowledge before they buy, the least first: the risk disclosure, and
 * when that is not enough, the product description too (the documents sellers have them sign).
 */
const READING: readonly (readonly DisclosureKind[])[] = [['RISK_DISCLOSURE'], ['RISK_DISCLOSURE', 'PROSPECTUS']];

/** The disclosures a customer acknowledges before buying the product at `at`: the current versions of the kinds they read. */
export function acknowledgedBeforeBuying(product: ProductOnOffer, at: number, read: readonly DisclosureKind[]): PublishedDisclosure[] {
  return currentDisclosures(product.disclosures, at).filter((d) => read.includes(d.kind));
}

/** Decides purchases as `deciding` says, remembering each verdict per class. */
export function purchaseDecisions(deciding: Deciding): PurchaseDecisions {
  // a module deciding on a fact the seed cannot supply would deny every movement; say so instead
  const unsupplied = deciding.policies.facts.filter((fact) => !SUPPLIED_FACTS.has(fact));
  if (unsupplied.length > 0) {
    throw new Error(`the demo seed cannot decide purchases: the policies in force decide with facts it does not supply (${unsupplied.join(', ')})`);
  }
  const verdicts = new Map<string, PurchaseVerdict>();
  return (buyer, accountId, at, activity) => {
    const day = deciding.businessDay(at);
    const buyerClass = classOf(buyer, at);
    return (product) => {
      const key = `${buyerClass} ${product.index} ${placeOf(product, buyer.region)} ${momentOf(product, at, day)}`;
      let verdict = verdicts.get(key);
      if (!verdict) verdicts.set(key, (verdict = choosingVerdict(deciding, buyer, product, accountId, at, activity)));
      return verdict;
    };
  };
}

/**
 * The purchase as it is made: `cents` of the product, the warning confirmed if the customer
 * `confirmed` it, the disclosures acknowledged when `acknowledgedAt` says.
 */
export function decidePurchase(
  deciding: Deciding,
  buyer: Customer,
  product: ProductOnOffer,
  accountId: number,
  cents: number,
  at: number,
  confirmed: boolean,
  activity: AmlActivityFact,
  acknowledgedAt: (disclosure: PublishedDisclosure) => number | null,
): Decision {
  return deciding.policies.decide(purchaseRequest(deciding, buyer, product, accountId, decimal(cents), at, confirmed, activity, acknowledgedAt));
}

/** The code of the special written risk warning a purchase above the buyer's tolerance asks them to confirm. */
const CONFIRM_RISK_MISMATCH = 'CONFIRM_RISK_MISMATCH';

/**
 * The warning a confirmed purchase answered, recorded as the gateway records it
 * (src/money/confirmations.ts): `asked` is the purchase decided as if unconfirmed, refused asking
 * for the warning, whose text, sha256 and version go with the suitability version in force. Null
 * when the purchase needed no confirmation at its amount (the gateway records none then either).
 */
export function confirmationOf(asked: Decision, deciding: Deciding, transactionId: number, at: number): PurchaseConfirmationRow | null {
  const warning = asked.allow ? undefined : asked.obligations.confirm?.find((reason) => reason.code === CONFIRM_RISK_MISMATCH);
  const suitability = deciding.policies.policies.find((p) => p.id.startsWith('suitability@'));
  if (!warning || !suitability) return null;
  return {
    transaction_id: transactionId,
    code: warning.code,
    policy: suitability.id,
    policy_sha256: suitability.sha256,
    warning: warning.message,
    warning_sha256: createHash('sha256').update(warning.message).digest('hex'),
    warning_ref: warning.ref ?? null,
    echoed: true,
    confirmed_at: new Date(at).toISOString(),
  };
}

function purchaseRequest(
  deciding: Deciding,
  buyer: Customer,
  product: ProductOnOffer,
  accountId: number,
  amount: string,
  at: number,
  confirmRiskMismatch: boolean,
  activity: AmlActivityFact,
  acknowledgedAt: (disclosure: PublishedDisclosure) => number | null,
): PolicyRequest {
  const input = { productId: product.fact.id, accountId: String(accountId), amount, confirmRiskMismatch };
  return movementRequest(deciding, 'product.purchase', buyer, accountId, at, productFacts(product, at, acknowledgedAt), activity, input);
}

/**
 * The buyer's side of a purchase decision, without identities, exact times and region: investor
 * type, tolerance, lowest category, whether the assessment is absent, current or expired at `at`.
 * Their age is left out on purpose: the demo's customers are all adults, and sixty ages would
 * multiply the decisions by sixty; a policy that tells adults apart by age makes the seed's test fail.
 */
function classOf(buyer: Customer, at: number): string {
  const investor = buyer.professional ? 'PROFESSIONAL' : 'ORDINARY';
  const a = buyer.assessment;
  return !a || a.assessedAt > at ? `${investor} none` : `${investor} ${a.tolerance} ${a.lowestCategory} ${a.expiresAt <= at ? 'expired' : 'current'}`;
}

/**
 * Where the buyer is, as far as the product's facts can tell regions apart: how many leading digits
 * the buyer's region shares with each region its licences name (GB/T 2260 codes nest: province,
 * prefecture, county). Two provinces no licence of the product names look alike.
 */
function placeOf(product: ProductOnOffer, region: string): string {
  let place = '';
  for (const named of product.licenceRegions) {
    let shared = 0;
    while (shared < named.length && named[shared] === region[shared]) shared++;
    place += shared;
  }
  return place;
}

/**
 * The moment's side, for one product: how many of the dates in its licences have come by the
 * business day, and how many of its disclosures have been published by `at`.
 */
function momentOf(product: ProductOnOffer, at: number, day: BusinessDay): string {
  let dates = 0;
  while (dates < product.licenceDays.length && product.licenceDays[dates]! <= day.date) dates++;
  let published = 0;
  while (published < product.disclosures.length && product.disclosures[published]!.publishedAt <= at) published++;
  return `${dates} ${published}`;
}

/**
 * Decides a purchase of the product's minimum amount: with what customers read first, then, if the
 * policies refuse, with what they read when that is not enough.
 */
function choosingVerdict(deciding: Deciding, buyer: Customer, product: ProductOnOffer, accountId: number, at: number, activity: AmlActivityFact): PurchaseVerdict {
  for (const read of READING) {
    const verdict = decideHaving(read, deciding, buyer, product, accountId, at, activity);
    if (verdict.allowed) return verdict;
  }
  return { allowed: false };
}

/**
 * Decides a purchase by a customer who acknowledged the current versions of the kinds of disclosure
 * they `read` just now: first as customers first ask, then, when the policies want the risk warning
 * confirmed, confirmed (customers who insist do so).
 */
function decideHaving(
  read: readonly DisclosureKind[],
  deciding: Deciding,
  buyer: Customer,
  product: ProductOnOffer,
  accountId: number,
  at: number,
  activity: AmlActivityFact,
): PurchaseVerdict {
  const acknowledged = new Set(acknowledgedBeforeBuying(product, at, read).map((d) => d.id));
  const request = (confirm: boolean) =>
    purchaseRequest(deciding, buyer, product, accountId, product.fact.minAmount, at, confirm, activity, (d) => (acknowledged.has(d.id) ? at : null));
  const asked = deciding.policies.decide(request(false));
  if (asked.allow) return { allowed: true, confirmed: false, read };
  if (!asked.obligations.confirm?.length) return { allowed: false };
  return deciding.policies.decide(request(true)).allow ? { allowed: true, confirmed: true, read } : { allowed: false };
}
