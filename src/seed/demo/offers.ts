// What customers buy: every product on sale in a category people invest in, with the facts about
// it the policies decide a purchase on, and how popular it is. A purchase picks one of the offers
// the customer can afford that the policies allow them.
//
// Products with a cooling-off period (the `cooling-off` policy's classes: private funds and WMP)
// are not offered. Their purchases wait PENDING in the period and complete after it, some only
// after a return call decided by that policy; the demo's ledger books every purchase completed, and
// its customers could not buy them anyway: private products are sold to qualified investors only,
// and the demo confirms none.

import { termsFor, type CoolingOffData } from '../../money/cooling-off.ts';
import type { VersionSet } from '../../policy/runtime.ts';
import type { Random } from '../random.ts';
import { centsOf } from './amounts.ts';
import { licencesFact, productFact, publishedDisclosure } from './facts.ts';
import type { ProductOnOffer, PurchaseVerdict, Verdicts } from './purchases.ts';
import { productAccountId, type ReferenceData } from './reference.ts';
import type { ProductCategory, ProductRow, RiskLevel } from './rows.ts';
import { DAY, isoDate } from './time.ts';

/** A product as the history generator sees it: what it is, what it costs at least, how popular it is. */
export interface Offer {
  product: ProductOnOffer;
  productId: number;
  /** Its collection account, where purchases pay in. */
  accountId: number;
  minCents: number;
  weight: number;
}

/** An offer this customer may take, and on what terms. */
export interface Choice {
  offer: Offer;
  verdict: Extract<PurchaseVerdict, { allowed: true }>;
}

/** Categories a customer buys into; loans and payment services are offered, not bought. */
const INVESTABLE = new Set<ProductCategory>(['DEPOSIT', 'WEALTH_MANAGEMENT', 'FUND', 'INSURANCE']);
/** How often investments of each risk level are bought, relatively: most people buy low-risk products. */
const POPULARITY: Readonly<Record<RiskLevel, number>> = { R1: 6, R2: 5, R3: 3, R4: 2, R5: 1 };
/** Deposits sell steadily whatever their terms; insurance sells less than investments. */
const popularity = (product: ProductRow): number =>
  product.category === 'DEPOSIT' ? 3 : product.category === 'INSURANCE' ? POPULARITY[product.risk_level] / 3 : POPULARITY[product.risk_level];
/** Of customers who are shown the special written risk warning, few go on to buy. */
const INSISTING = 0.1;

/** The policies whose data says which products have a cooling-off period. */
export type CoolingOffPolicies = Pick<VersionSet, 'data'>;

/** The products on sale that customers buy into, but those with a cooling-off period under `policies`. */
export function offersOf(reference: ReferenceData, policies: CoolingOffPolicies): Offer[] {
  const coolingOff = policies.data<CoolingOffData>('cooling-off');
  const institution = (id: number) => reference.institutions.find((i) => i.id === id)!;
  const offers: Offer[] = [];
  for (const product of reference.products) {
    if (product.status !== 'ONLINE' || !INVESTABLE.has(product.category) || termsFor(coolingOff, productFact(product))) continue;
    const distributorLicences = licencesFact(institution(product.distributor_id), reference.licences);
    const issuerLicences = licencesFact(institution(product.issuer_id), reference.licences);
    offers.push({
      product: {
        index: offers.length,
        fact: productFact(product),
        distributorLicences,
        issuerLicences,
        disclosures: reference.disclosures
          .filter((d) => d.product_id === product.id)
          .map(publishedDisclosure)
          .sort((a, b) => a.publishedAt - b.publishedAt),
        licenceDays: [
          ...new Set(
            [...distributorLicences.licences, ...issuerLicences.licences].flatMap((l) => (l.validTo === null ? [l.validFrom] : [l.validFrom, dayAfter(l.validTo)])),
          ),
        ].sort(),
        licenceRegions: [...new Set([...distributorLicences.licences, ...issuerLicences.licences].flatMap((l) => l.regions))].sort(),
      },
      productId: product.id,
      accountId: productAccountId(product.id),
      minCents: centsOf(product.min_amount),
      weight: popularity(product),
    });
  }
  return offers;
}

/**
 * A product the customer can buy with `balance`, as `verdicts` (the policies) allow, weighted
 * towards the popular low-risk ones; null when there is none. Offers are drawn by weight and asked
 * about one at a time, so a purchase costs a decision or two, not one per product.
 */
export function chooseOffer(offers: readonly Offer[], balance: number, verdicts: Verdicts, rng: Random): Choice | null {
  const open = offers.filter((offer) => offer.minCents <= balance);
  let total = open.reduce((sum, offer) => sum + offer.weight, 0);
  while (open.length > 0) {
    let target = rng.next() * total;
    let k = 0;
    while (k < open.length - 1 && (target -= open[k]!.weight) >= 0) k++;
    const offer = open[k]!;
    const verdict = verdicts(offer.product);
    if (verdict.allowed && (!verdict.confirmed || rng.chance(INSISTING))) return { offer, verdict };
    open.splice(k, 1);
    total -= offer.weight;
  }
  return null;
}

/** The calendar day after a 'YYYY-MM-DD' date. */
function dayAfter(date: string): string {
  return isoDate(Date.parse(date) + DAY);
}
