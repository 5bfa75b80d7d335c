import { permitted } from '../data/query.ts';
import type { Sql } from '../db/database.ts';
import { clientError } from '../errors.ts';
import type { Permit } from '../policy/permit.ts';

/** A customer as a write on their record sees it: the attributes access rules match. */
export interface LockedCustomer {
  id: string;
  customerId: string;
  institutionId: string;
  investorType: string;
  region: string;
}

/**
 * Locks the customer a write acts on, if `permit` (Customer rows) covers them, so the facts the
 * write is decided with cannot change before it commits. NOT_FOUND otherwise: a customer the
 * caller may not act on looks like one that does not exist.
 */
export async function lockCustomer(tx: Sql, permit: Permit, customerKey: string): Promise<LockedCustomer> {
  const [row] = await tx<LockedCustomer[]>`
    select c.id, c.id as customer_id, c.institution_id, c.investor_type, c.region from customers c
     where c.id = ${customerKey} and ${permitted(tx, permit, 'Customer')}
       for no key update`;
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (!row) throw clientError('NOT_FOUND', 'Customer not found');
  return row;
}
