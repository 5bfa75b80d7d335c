import type { Sql } from '../db/database.ts';
import { clientError } from '../errors.ts';
import type { ResourceDocument } from '../policy/request-policy.ts';

/*
 * What policies need to know about a record before deciding an action on it: loaded here, in one
 * statement, so decisions stay pure. Attributes are the resource's (for access rules); `context`
 * holds the other facts (the product and the customer's risk profile, for suitability).
 */

interface AccountFacts {
  id: string;
  customerId: string | null;
  institutionId: string | null;
  kind: string;
  investorType: string | null;
  tolerance: string | null;
  lowestCategory: boolean | null;
  assessedAt: Date | null;
  expiresAt: Date | null;
}

/** The debited (or credited) customer account, its owner and the owner's latest risk profile. */
async function accountFacts(sql: Sql, accountKey: string): Promise<AccountFacts | undefined> {
  const [row] = await sql<AccountFacts[]>`
    select a.id, a.customer_id, c.institution_id, a.kind, c.investor_type,
           r.tolerance, r.lowest_category, r.assessed_at, r.expires_at
      from accounts a
      left join customers c on c.id = a.customer_id
      left join lateral (
        select tolerance, lowest_category, assessed_at, expires_at from risk_assessments
         where customer_id = a.customer_id order by assessed_at desc, id desc limit 1
      ) r on true
     where a.id = ${accountKey}`;
  return row;
}

function accountDocument(account: AccountFacts, context: Record<string, unknown>): ResourceDocument {
  return {
    type: 'Account',
    id: account.id,
    attributes: { id: account.id, customerId: account.customerId, institutionId: account.institutionId, kind: account.kind },
    context: {
      ...context,
      customer: account.customerId && {
        id: account.customerId,
        investorType: account.investorType,
        riskProfile: account.tolerance
          ? { tolerance: account.tolerance, lowestCategory: account.lowestCategory, assessedAt: account.assessedAt!.toISOString(), expiresAt: account.expiresAt!.toISOString() }
          : null,
      },
    },
  };
}

/** Facts for buying or redeeming a product through an account. */
export async function productMovementFacts(sql: Sql, accountKey: string, productKey: string): Promise<ResourceDocument | null> {
  const [account, [product]] = await Promise.all([
    accountFacts(sql, accountKey),
    sql<{ id: string; category: string; riskLevel: string; status: string }[]>`select id, category, risk_level, status from products where id = ${productKey}`,
  ]);
  if (!product) throw clientError('NOT_FOUND', 'Product not found', { field: 'input.productId' });
  return account ? accountDocument(account, { product }) : null;
}

/** Facts for moving money out of an account. */
export async function accountMovementFacts(sql: Sql, accountKey: string): Promise<ResourceDocument | null> {
  const account = await accountFacts(sql, accountKey);
  return account ? accountDocument(account, {}) : null;
}
