import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import { byKeys, groupBy, permitted } from './query.ts';

export interface DisclosureRow {
  id: string;
  productId: string;
  kind: string;
  version: number;
  title: string;
  body: string;
  publishedAt: Date;
  /** sha256 (hex) of the body's UTF-8 bytes: what an acknowledgement of it records. */
  contentSha256: string;
}

export interface AcknowledgementRow {
  id: string;
  customerId: string;
  disclosureId: string;
  acknowledgedAt: Date;
  /** sha256 of the content acknowledged; null for acknowledgements recorded before contents were hashed. */
  contentSha256: string | null;
}

/** A published disclosure by key: one scheduled for later does not exist yet, for anyone. */
export function loadDisclosure(sql: Sql, loaders: Loaders, permit: Permit, key: string, now: Date): Promise<DisclosureRow | null> {
  return loaders
    .get(permit, 'disclosure', (keys: readonly string[]) => byKeys<DisclosureRow>(sql, permit, keys, [sql`d.published_at <= ${now}`]))
    .load(key);
}

/** A product's published disclosures, newest first. */
export function loadDisclosuresOf(sql: Sql, loaders: Loaders, permit: Permit, productId: string, now: Date): Promise<DisclosureRow[]> {
  return loaders
    .get(permit, 'disclosuresOf', async (keys: readonly string[]) => {
      const rows = await sql<DisclosureRow[]>`
        select d.* from disclosures d
         where d.product_id = any(${keys as string[]}::bigint[]) and d.published_at <= ${now} and ${permitted(sql, permit, 'Disclosure')}
         order by d.published_at desc, d.id desc`;
      return groupBy(keys, rows, (row) => row.productId);
    })
    .load(productId);
}

/**
 * The disclosure a customer must have read before buying: the newest published risk disclosure
 * (风险揭示书), or the newest prospectus for products without one.
 */
export async function currentDisclosureOf(sql: Sql, loaders: Loaders, permit: Permit, productId: string, now: Date): Promise<DisclosureRow | null> {
  const disclosures = await loadDisclosuresOf(sql, loaders, permit, productId, now);
  return disclosures.find((d) => d.kind === 'RISK_DISCLOSURE') ?? disclosures.find((d) => d.kind === 'PROSPECTUS') ?? null;
}

/** Each customer's acknowledgements the permit covers, oldest first. */
export function loadAcknowledgements(sql: Sql, loaders: Loaders, permit: Permit, customerId: string): Promise<AcknowledgementRow[]> {
  return loaders
    .get(permit, 'acknowledgements', async (keys: readonly string[]) => {
      const rows = await sql<AcknowledgementRow[]>`
        select k.* from disclosure_acknowledgements k
         where k.customer_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'Acknowledgement')}
         order by k.acknowledged_at, k.id`;
      return groupBy(keys, rows, (row) => row.customerId);
    })
    .load(customerId);
}

/** Acknowledgements by key, under the permit (a write's payload, read again). */
export function loadAcknowledgementsByKey(sql: Sql, permit: Permit, keys: readonly string[]): Promise<(AcknowledgementRow | null)[]> {
  return byKeys<AcknowledgementRow>(sql, permit, keys);
}
