// Disclosure acknowledgements: the record that a customer confirmed having read one version of a
// product's disclosure (the suitability and disclosure rules' evidence of 告知). Recorded once per
// customer and disclosure; a repeated call returns the first record unchanged. The database writes
// into it the sha256 of the disclosure's content (migration 0007), so the record says exactly what
// was read; published disclosures never change, so that is what the customer was shown. One
// database transaction: the customer is locked, the gate decides with the facts read under that
// lock, and the decision stream's observers add their rows before it commits.

import type { AcknowledgementRow } from '../data/disclosures.ts';
import type { Sql } from '../db/database.ts';
import { clientError } from '../errors.ts';
import type { Permit } from '../policy/permit.ts';
import { lockCustomer } from './customers.ts';

/** Who acknowledges which disclosure, when. */
export interface AcknowledgeInput {
  /** The customer the caller is; undefined for staff tokens, who have nothing to acknowledge. */
  customerKey: string | undefined;
  disclosureKey: string;
  now: Date;
}

/**
 * Records that the customer acknowledged a published disclosure, once: a repeat returns the first
 * record. NOT_FOUND when the caller is no customer the permit covers (Customer rows), or the
 * disclosure does not exist or is not yet published (field `input.disclosureId`).
 */
export async function acknowledgeDisclosure(sql: Sql, permit: Permit, input: AcknowledgeInput): Promise<AcknowledgementRow> {
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (input.customerKey === undefined) throw clientError('NOT_FOUND', 'No customer to acknowledge for: the caller is not a customer');
  const customerKey = input.customerKey;
  return sql.begin(async (tx) => {
    const customer = await lockCustomer(tx as unknown as Sql, permit, customerKey);
    const facts = await permit.records!.facts(tx as unknown as Sql, { customer: customerKey, disclosure: input.disclosureKey });
    permit.records!.decide({ type: 'Customer', id: customer.id, attributes: { ...customer }, facts, args: { input: { disclosureId: input.disclosureKey } } });
    // acknowledgements recorded before content was hashed (content_sha256 null) do not count: a
    // repeat records one that does, beside them
    const [row] = await tx<AcknowledgementRow[]>`
      with inserted as (
        insert into disclosure_acknowledgements (customer_id, disclosure_id, acknowledged_at)
        select ${customerKey}, d.id, ${input.now} from disclosures d where d.id = ${input.disclosureKey} and d.published_at <= ${input.now}
        on conflict (customer_id, disclosure_id) where content_sha256 is not null do nothing
        returning id, customer_id, disclosure_id, acknowledged_at, content_sha256
      )
      select * from inserted
      union all
      select id, customer_id, disclosure_id, acknowledged_at, content_sha256 from disclosure_acknowledgements
       where customer_id = ${customerKey} and disclosure_id = ${input.disclosureKey} and content_sha256 is not null`;
    if (!row) {
      throw clientError(
        'NOT_FOUND',
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        'Disclosure not found',
        { field: 'input.disclosureId' },
      );
    }
    await permit.records!.observe(tx as unknown as Sql);
    return row;
  });
}
