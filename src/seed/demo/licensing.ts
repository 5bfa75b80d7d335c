// Where and when a product may be sold: by a distributor holding the licence its category needs,
// in the licence's regions, while it is valid and not revoked; products that need no licence
// (deposits, a bank's loans) only where the distributor operates.
//
// This is the seed's own copy of the licensing rules, kept in this one file on purpose: there is no
// licensing policy module yet. It goes when that module lands: the demo's purchases are then
// decided by it through the policies in force.

import { DAY } from './time.ts';
import { INSTITUTIONS, NATIONWIDE } from './market.ts';
import type { InstitutionKind, LicenceRow, LicenceType, ProductCategory, ProductRow } from './rows.ts';

/** A stretch of time (ms, `to` exclusive) and the regions a product may be sold in during it. */
export interface SaleWindow {
  from: number;
  to: number;
  regions: readonly string[];
}

/** When and where `product` may be sold, given every licence of the market. */
export function saleWindows(product: ProductRow, licences: readonly LicenceRow[]): SaleWindow[] {
  const distributor = INSTITUTIONS[product.distributor_id - 1]!;
  const needed = requiredLicence(product.category, distributor.kind);
  // regional banks may not take deposits from outside their provinces
  if (needed === null) return [{ from: -Infinity, to: Infinity, regions: distributor.services?.provinces ?? [NATIONWIDE] }];
  return licences
    .filter((l) => l.institution_id === product.distributor_id && l.type === needed && !l.revoked)
    .map((l) => ({
      from: Date.parse(l.valid_from),
      to: l.valid_to === null ? Infinity : Date.parse(l.valid_to) + DAY,
      regions: l.regions,
    }));
}

/** Whether a window lets a customer of `region` buy at `at`. */
export function openTo(window: SaleWindow, region: string, at: number): boolean {
  return window.from <= at && at < window.to && (window.regions.includes(NATIONWIDE) || window.regions.includes(region));
}

/** The licence a distributor needs to sell a product of this category, if any. */
function requiredLicence(category: ProductCategory, distributor: InstitutionKind): LicenceType | null {
  switch (category) {
    case 'DEPOSIT':
      return null;
    case 'WEALTH_MANAGEMENT':
      return 'WEALTH_MANAGEMENT';
    case 'FUND':
      return 'FUND_SALES';
    case 'INSURANCE':
      return 'INSURANCE_AGENCY';
    case 'PAYMENT':
      return 'PAYMENT';
    case 'LOAN':
      if (distributor === 'BANK') return null;
      return distributor === 'CONSUMER_FINANCE_CO' ? 'CONSUMER_FINANCE' : 'ONLINE_MICROLENDING';
  }
}
