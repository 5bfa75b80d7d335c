// What customers buy: every product on sale in a category people invest in, when and where it may
// be sold, and how popular it is. A purchase picks one of the offers the customer can buy now:
// sold in their region, its risk disclosure published, affordable, and allowed by the policies.

import type { Random } from '../random.ts';
import { centsOf } from './amounts.ts';
import { openTo, saleWindows, type SaleWindow } from './licensing.ts';
import type { ProductOnOffer, PurchaseVerdict, Verdicts } from './purchases.ts';
import { productAccountId, type ReferenceData } from './reference.ts';
import type { ProductCategory, ProductRow, RiskLevel } from './rows.ts';

/** A product as the history generator sees it: what it is, when and where it may be sold, how popular it is. */
export interface Offer {
  product: ProductOnOffer;
  productId: number;
  /** Its collection account, where purchases pay in. */
  accountId: number;
  minCents: number;
  /** When and where it may be sold. */
  windows: SaleWindow[];
  /** Risk disclosure versions, oldest first. */
  riskDisclosures: { id: number; publishedAt: number }[];
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
      // the product as src/data/facts.ts loads it
      product: {
        index: offers.length,
        fact: {
          id: String(product.id),
          category: product.category,
          riskLevel: product.risk_level,
          status: product.status,
          currency: product.currency,
          minAmount: product.min_amount,
          issuerId: String(product.issuer_id),
          distributorId: String(product.distributor_id),
        },
      },
      productId: product.id,
      accountId: productAccountId(product.id),
      minCents: centsOf(product.min_amount),
      windows: saleWindows(product, reference.licences),
      riskDisclosures,
      weight: popularity(product),
    });
  }
  return offers;
}

/**
 * A product a customer of `region` may buy at `at` with `balance`, as `verdicts` (the policies)
 * allow, weighted towards the popular low-risk ones; null when there is none.
 */
export function chooseOffer(offers: readonly Offer[], region: string, balance: number, at: number, verdicts: Verdicts, rng: Random): Choice | null {
  const open: { choice: Choice; weight: number }[] = [];
  let total = 0;
  for (const offer of offers) {
    if (
      offer.minCents > balance ||
      !offer.riskDisclosures.some((d) => d.publishedAt <= at) ||
      !offer.windows.some((w) => openTo(w, region, at))
    ) {
      continue;
    }
    const verdict = verdicts(offer.product);
    if (!verdict.allowed) continue;
    const weight = verdict.confirmed ? offer.weight * INSISTING : offer.weight;
    open.push({ choice: { offer, verdict }, weight });
    total += weight;
  }
  if (open.length === 0) return null;
  let target = rng.next() * total;
  for (const { choice, weight } of open) {
    target -= weight;
    if (target < 0) return choice;
  }
  return open.at(-1)!.choice;
}
