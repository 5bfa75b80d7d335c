// Disclosure acknowledgements: the record that a customer confirmed having read one version of a
// product's disclosure (the suitability and disclosure rules' evidence of 告知). Recorded once per
// customer and disclosure; a repeated call returns the first record unchanged.

import type { AcknowledgementRow } from '../data/disclosures.ts';
import { permitted } from '../data/query.ts';
import type { Sql } from '../db/database.ts';
import { clientError } from '../errors.ts';
import type { Permit } from '../policy/gate.ts';

/** Who acknowledges which disclosure, when. */
export interface AcknowledgeInput {
  /** The customer the caller is; undefined for staff tokens, who have nothing to acknowledge. */
  customerKey: string | undefined;
  disclosureKey: string;
  now: Date;
}

/**
 * Records that the customer acknowledged a published disclosure, once: a repeat returns the first
 * record. NOT_FOUND when the caller is no customer the permit covers (Customer rows, alias `c`), or
 * the disclosure does not exist or is not yet published (field `input.disclosureId`).
 */
export async function acknowledgeDisclosure(sql: Sql, permit: Permit, input: AcknowledgeInput): Promise<AcknowledgementRow> {
  if (input.customerKey === undefined) throw clientError('NOT_FOUND', 'No customer to acknowledge for: the caller is not a customer');
  const [inserted] = await sql<AcknowledgementRow[]>`
    insert into disclosure_acknowledgements (customer_id, disclosure_id, acknowledged_at)
    select c.id, d.id, ${input.now}
      from customers c, disclosures d
     where c.id = ${input.customerKey} and ${permitted(sql, permit)}
       and d.id = ${input.disclosureKey} and d.published_at <= ${input.now}
    on conflict (customer_id, disclosure_id) do nothing
    returning id, customer_id, disclosure_id, acknowledged_at`;
  if (inserted) return inserted;

  // Already acknowledged (a new statement sees a concurrent first call's committed row), or not allowed.
  const [existing] = await sql<AcknowledgementRow[]>`
    select k.id, k.customer_id, k.disclosure_id, k.acknowledged_at
      from disclosure_acknowledgements k join customers c on c.id = k.customer_id
     where k.customer_id = ${input.customerKey} and k.disclosure_id = ${input.disclosureKey} and ${permitted(sql, permit)}`;
  if (existing) return existing;
  const [customer] = await sql`select 1 from customers c where c.id = ${input.customerKey} and ${permitted(sql, permit)}`;
  if (!customer) throw clientError('NOT_FOUND', 'Customer not found');
  throw clientError('NOT_FOUND', 'Disclosure not found', { field: 'input.disclosureId' });
}
