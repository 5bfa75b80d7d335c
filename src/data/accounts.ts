import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import { byKeys, groupBy, permitted } from './query.ts';

export interface AccountRow {
  id: string;
  kind: 'CUSTOMER' | 'PRODUCT' | 'SYSTEM';
  customerId: string | null;
  currency: string;
  balance: string;
  cardNumber: string | null;
}

export function loadAccount(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<AccountRow | null> {
  return loaders.get(permit, 'account', (keys: readonly string[]) => byKeys<AccountRow>(sql, permit, keys)).load(key);
}

/** Each customer's accounts that the permit covers. */
export function loadAccountsOf(sql: Sql, loaders: Loaders, permit: Permit, customerId: string): Promise<AccountRow[]> {
  return loaders
    .get(permit, 'accountsOf', async (keys: readonly string[]) => {
      const rows = await sql<AccountRow[]>`
        select a.* from accounts a
         where a.customer_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'Account')}
         order by a.id`;
      return groupBy(keys, rows, (row) => row.customerId);
    })
    .load(customerId);
}
