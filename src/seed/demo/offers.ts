// What customers buy: every product on sale in a category people invest in, when and where it may
// be sold, and how popular it is. A purchase picks one of the offers open to the customer.

import type { Random } from '../random.ts';
import { centsOf } from './amounts.ts';
import { openTo, saleWindows, type SaleWindow } from './licensing.ts';
import { productAccountId, type ReferenceData } from './reference.ts';
import type { Assessment } from './risk-profiles.ts';
import type { ProductCategory, RiskLevel } from './rows.ts';

/** A product as the history generator sees it: when and to whom it may be sold. */
export interface Offer {
  productId: number;
  accountId: number;
  category: ProductCategory;
  risk: number;
  minCents: number;
  /** Private placements: professional investors only. */
  qualifiedOnly: boolean;
  /** When and where it may be sold. */
  windows: SaleWindow[];
  /** Risk disclosure versions, oldest first. */
  riskDisclosures: { id: number; publishedAt: number }[];
  weight: number;
}

/** Categories a customer buys into; loans and payment services are offered, not bought. */
const INVESTABLE = new Set<ProductCategory>(['DEPOSIT', 'WEALTH_MANAGEMENT', 'FUND', 'INSURANCE']);
/** How often products of each risk level are bought, relatively: most people buy low-risk products. */
const POPULARITY: Readonly<Record<RiskLevel, number>> = { R1: 6, R2: 5, R3: 3, R4: 2, R5: 1 };

/** The products on sale that customers buy into. */
export function offersOf(reference: ReferenceData): Offer[] {
  const offers: Offer[] = [];
  for (const product of reference.products) {
    if (product.status !== 'ONLINE' || !INVESTABLE.has(product.category)) continue;
    const riskDisclosures = reference.disclosures
      .filter((d) => d.product_id === product.id && d.kind === 'RISK_DISCLOSURE')
      .sort((a, b) => a.version - b.version)
      .map((d) => ({ id: d.id, publishedAt: Date.parse(d.published_at) }));
    offers.push({
      productId: product.id,
      accountId: productAccountId(product.id),
      category: product.category,
      risk: Number(product.risk_level.slice(1)),
      minCents: centsOf(product.min_amount),
      qualifiedOnly: centsOf(product.min_amount) >= 1_000_000_00,
      windows: saleWindows(product, reference.licences),
      riskDisclosures,
      weight: product.category === 'DEPOSIT' ? 3 : POPULARITY[product.risk_level],
    });
  }
  return offers;
}

/** Who is buying, as choosing an offer needs them. */
export interface Buyer {
  professional: boolean;
  region: string;
  assessment: Assessment | null;
}

/** A product this customer may buy at `at` with `balance`, weighted towards the popular low-risk ones. */
export function chooseOffer(offers: readonly Offer[], buyer: Buyer, balance: number, at: number, rng: Random): Offer | null {
  const { assessment } = buyer;
  const maxRisk = assessment && assessment.from <= at && at < assessment.to ? assessment.maxRisk : 0;
  const eligible = offers.filter(
    (offer) =>
      offer.minCents <= balance &&
      // deposits need no questionnaire; everything else must suit a current assessment
      (offer.category === 'DEPOSIT' || offer.risk <= maxRisk) &&
      (!offer.qualifiedOnly || buyer.professional) &&
      offer.riskDisclosures.some((d) => d.publishedAt <= at) &&
      offer.windows.some((w) => openTo(w, buyer.region, at)),
  );
  if (eligible.length === 0) return null;
  let target = rng.next() * eligible.reduce((sum, offer) => sum + offer.weight, 0);
  for (const offer of eligible) {
    target -= offer.weight;
    if (target < 0) return offer;
  }
  return eligible.at(-1)!;
}
