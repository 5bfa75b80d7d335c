// The rows that do not depend on the number of customers: institutions and their licences, the
// products with their disclosures, and the accounts money moves through besides customers' own.

import { createRandom, digits, type Random } from '../random.ts';
import { productDisclosures } from './disclosures.ts';
import { CURRENCY, INSTITUTIONS, institutionId, LICENCES, PRODUCTS } from './market.ts';
import type { AccountRow, DisclosureRow, InstitutionRow, LicenceRow, LicenceType, ProductCategory, ProductRow } from './rows.ts';
import { DAY, iso, isoDate } from './time.ts';

/** The rows that do not depend on the number of customers. */
export interface ReferenceData {
  institutions: InstitutionRow[];
  licences: LicenceRow[];
  products: ProductRow[];
  disclosures: DisclosureRow[];
  /** The SYSTEM clearing account (id 1) and one PRODUCT account per product. */
  accounts: AccountRow[];
}

/** The account deposits come from: the outside world, so the only one allowed below zero. */
export const CLEARING_ACCOUNT_ID = 1;

/** The collection account (募集资金专户) of a product. */
export function productAccountId(productId: number): number {
  return CLEARING_ACCOUNT_ID + productId;
}

/** The reference rows for `seed` at `now`. */
export function referenceData(seed: string | number, now: number): ReferenceData {
  const rng = createRandom(`${seed}/reference`);
  const institutions: InstitutionRow[] = INSTITUTIONS.map((spec, k) => ({
    id: k + 1,
    name: spec.name,
    kind: spec.kind,
    created_at: iso(now - rng.int(8 * 365, 25 * 365) * DAY - rng.int(0, DAY - 1)),
  }));

  const licences: LicenceRow[] = [];
  INSTITUTIONS.forEach((spec, k) => {
    for (const licence of LICENCES[spec.key]) {
      const from = now - Math.round(licence.age * 365) * DAY - rng.int(0, 20) * DAY;
      const validFrom = isoDate(from);
      licences.push({
        id: licences.length + 1,
        institution_id: k + 1,
        type: licence.type,
        number: licenceNumber(licence.type, licences.length + 1, validFrom, rng),
        valid_from: validFrom,
        valid_to: licence.term === undefined ? null : isoDate(from + Math.round(licence.term * 365) * DAY - DAY),
        regions: licence.regions,
        revoked: licence.revoked ?? false,
      });
    }
  });

  const products: ProductRow[] = [];
  const disclosures: DisclosureRow[] = [];
  const perCategory = new Map<ProductCategory, number>();
  for (const spec of PRODUCTS) {
    const id = products.length + 1;
    const serial = (perCategory.get(spec.category) ?? 0) + 1;
    perCategory.set(spec.category, serial);
    const status = spec.status ?? 'ONLINE';
    const recent = status === 'DRAFT' || status === 'IN_REVIEW';
    // products that have ever been sold are older than the one-year ledger history
    const created = now - (recent ? rng.int(5, 60) : rng.int(400, 1500)) * DAY - rng.int(0, DAY - 1);
    const product: ProductRow = {
      id,
      code: `${CODE_PREFIX[spec.category]}-${String(serial).padStart(4, '0')}`,
      name: spec.name,
      category: spec.category,
      risk_level: spec.risk,
      status,
      offering: spec.offering ?? 'PUBLIC',
      investment_linked: spec.investmentLinked ?? false,
      issuer_id: institutionId(spec.issuer),
      distributor_id: institutionId(spec.distributor),
      currency: CURRENCY,
      min_amount: spec.min,
      created_at: iso(created),
    };
    products.push(product);
    disclosures.push(...productDisclosures(product, spec, created, now, disclosures.length + 1, rng));
  }

  const accounts: AccountRow[] = [
    {
      id: CLEARING_ACCOUNT_ID,
      kind: 'SYSTEM',
      customer_id: null,
      product_id: null,
      name: 'clearing',
      currency: CURRENCY,
      card_number: null,
      allow_negative: true,
      created_at: iso(now - 5 * 365 * DAY),
    },
    ...products.map((product): AccountRow => ({
      id: productAccountId(product.id),
      kind: 'PRODUCT',
      customer_id: null,
      product_id: product.id,
      name: `${product.code}募集资金专户`,
      currency: CURRENCY,
      card_number: null,
      allow_negative: false,
      created_at: product.created_at,
    })),
  ];

  return { institutions, licences, products, disclosures, accounts };
}

/** Product codes are a category prefix and a serial: FND-0003. */
const CODE_PREFIX: Readonly<Record<ProductCategory, string>> = {
  DEPOSIT: 'DEP',
  WEALTH_MANAGEMENT: 'WMP',
  FUND: 'FND',
  INSURANCE: 'INS',
  LOAN: 'LON',
  PAYMENT: 'PAY',
};

function licenceNumber(type: LicenceType, serial: number, validFrom: string, rng: Random): string {
  const year = validFrom.slice(0, 4);
  const tail = `${digits(rng, 4)}${String(serial).padStart(3, '0')}`;
  switch (type) {
    case 'PAYMENT':
      return `Z20${digits(rng, 4)}${tail}`;
    case 'FUND_SALES':
      return `JJXS-${year}-${tail}`;
    case 'WEALTH_MANAGEMENT':
      return `Z${digits(rng, 4)}H${digits(rng, 2)}${tail}`;
    case 'INSURANCE_AGENCY':
      return `BXJY${year}${tail}`;
    case 'ONLINE_MICROLENDING':
      return `WLXD-${year}-${tail}`;
    case 'CONSUMER_FINANCE':
      return `N0003H${digits(rng, 2)}${tail}`;
    case 'BANKING':
      return `B${digits(rng, 4)}H${tail}`;
    case 'FUND_MANAGEMENT':
      return `JJGL-${year}-${tail}`;
    case 'INSURANCE_UNDERWRITING':
      return `BXYW${year}${tail}`;
  }
}
