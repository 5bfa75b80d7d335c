// The ledger's invariants as SQL (the oracle after every money test), and fixtures that give tests
// customers and accounts with exact balances.

import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { Sql } from '../../src/db/database.ts';

/** Each query lists the rows that break one invariant; all must come back empty. */
const INVARIANTS: Record<string, string> = {
  'every transaction balances': `
    select transaction_id from postings group by transaction_id having sum(amount) <> 0`,
  'every transaction has at least two postings': `
    select t.id from transactions t left join postings p on p.transaction_id = t.id group by t.id having count(p.id) < 2`,
  "a transaction's amount is what its postings move": `
    select t.id from transactions t join postings p on p.transaction_id = t.id
     group by t.id, t.amount having sum(greatest(p.amount, 0)) <> t.amount`,
  'every balance is the sum of its postings': `
    select a.id, a.balance, coalesce(p.total, 0) as postings from accounts a
      left join (select account_id, sum(amount) as total from postings group by account_id) p on p.account_id = a.id
     where a.balance <> coalesce(p.total, 0)`,
  'no balance is negative but a system account': `
    select id, balance from accounts where not allow_negative and balance < 0`,
  'money is conserved: all balances add up to zero': `
    select sum(balance) as total from accounts having sum(balance) <> 0`,
  'no position is negative': `
    select customer_id, product_id, amount from positions where amount < 0`,
  'a position is what was bought minus what was redeemed': `
    select coalesce(f.customer_id, p.customer_id) as customer_id, coalesce(f.product_id, p.product_id) as product_id,
           f.net, p.amount
      from (select customer_id, product_id, sum(case type when 'PURCHASE' then amount else -amount end) as net
              from transactions where type in ('PURCHASE', 'REDEMPTION') and status = 'COMPLETED'
             group by customer_id, product_id) f
      full join positions p on p.customer_id = f.customer_id and p.product_id = f.product_id
     where coalesce(f.net, 0) <> coalesce(p.amount, 0)`,
  'every reversed transaction has exactly one reversal': `
    select t.id from transactions t left join transactions r on r.reverses_id = t.id
     where t.status = 'REVERSED' or r.id is not null
     group by t.id, t.status having count(r.id) <> 1 or t.status <> 'REVERSED'`,
  'every PENDING transaction is a purchase in its cooling-off period': `
    select t.id from transactions t left join cooling_off_periods c on c.transaction_id = t.id
     where t.status = 'PENDING' and (t.type <> 'PURCHASE' or c.transaction_id is null)`,
  'a purchase that needs a return call completes only after one': `
    select c.transaction_id from cooling_off_periods c join transactions t on t.id = c.transaction_id
     where t.status = 'COMPLETED' and c.return_call_required and c.return_call_at is null`,
  'every idempotency key has its result': `
    select principal_id, key from idempotency_keys where transaction_id is null`,
  'no transaction is the result of two keys': `
    select transaction_id from idempotency_keys group by transaction_id having count(*) > 1`,
};

/** The broken invariants and their offending rows; empty when the ledger is sound. */
export async function ledgerViolations(sql: Sql): Promise<Record<string, unknown[]>> {
  const broken: Record<string, unknown[]> = {};
  for (const [name, query] of Object.entries(INVARIANTS)) {
    const rows = await sql.unsafe(query);
    if (rows.length > 0) broken[name] = [...rows].slice(0, 5);
  }
  return broken;
}

/** Fails the test, listing what broke, unless every ledger invariant holds. */
export async function expectLedgerSound(sql: Sql): Promise<void> {
  expect(await ledgerViolations(sql)).toEqual({});
}

/** A new natural-person customer with no history; returns its key. */
export async function newCustomer(sql: Sql): Promise<string> {
  const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
  const [row] = await sql<{ id: string }[]>`
    insert into customers (institution_id, name, id_number, phone, birth_date, investor_type, region)
    values ((select min(id) from institutions), '测试客户', ${`110101${digits(12)}`}, ${`139${digits(8)}`}, '1985-06-15', 'ORDINARY', '110000')
    returning id`;
  return row!.id;
}

/**
 * A new customer account holding `balance`, paid in from the platform's clearing account as a
 * DEPOSIT (one transaction, like every balance change); returns its key.
 */
export async function openAccount(sql: Sql, customerId: string, balance: string, currency = 'CNY'): Promise<string> {
  const [account] = await sql<{ id: string }[]>`
    insert into accounts (kind, customer_id, currency) values ('CUSTOMER', ${customerId}, ${currency}) returning id`;
  if (balance !== '0.00' && balance !== '0') await deposit(sql, customerId, account!.id, balance, currency);
  return account!.id;
}

/**
 * Pays `amount` into an account from the clearing account, as a DEPOSIT booked to the customer,
 * made now or at `createdAt`.
 */
export async function deposit(sql: Sql, customerId: string, accountId: string, amount: string, currency = 'CNY', createdAt?: Date): Promise<void> {
  const [clearing] = await sql<{ id: string }[]>`select id from accounts where kind = 'SYSTEM' and currency = ${currency} order by id limit 1`;
  await book(sql, { type: 'DEPOSIT', customerId, from: clearing!.id, to: accountId, amount, currency, createdAt });
}

/** A completed transaction of two postings, as a fixture writes it (not through the API). */
export interface Booking {
  type: 'DEPOSIT' | 'TRANSFER';
  /** The customer it is booked to. */
  customerId: string;
  /** The account debited and the account credited. */
  from: string;
  to: string;
  amount: string;
  currency?: string;
  /** When it happened. @default now */
  createdAt?: Date;
}

/** Writes a completed transaction and its postings, at `createdAt` if given (a movement of the past); returns its key. */
export async function book(sql: Sql, { type, customerId, from, to, amount, currency = 'CNY', createdAt }: Booking): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    with t as (
      -- a transfer names its receiving customer, as the gateway's do: the aml facts count their incoming side
      insert into transactions (type, status, amount, currency, customer_id, receiving_customer_id, created_at)
      values (${type}, 'COMPLETED', ${amount}, ${currency}, ${customerId},
              case when ${type} = 'TRANSFER' then (select customer_id from accounts where id = ${to}) end,
              coalesce(${createdAt ?? null}::timestamptz, now())) returning id
    ), legs as (
      insert into postings (transaction_id, account_id, amount)
      select t.id, x.account_id, x.amount
        from t, (values (${from}::bigint, -${amount}::numeric), (${to}::bigint, ${amount}::numeric)) as x(account_id, amount)
    )
    select id from t`;
  return row!.id;
}

/** The balance of an account, as PostgreSQL writes it ("20.00"). */
export async function balanceOf(sql: Sql, accountId: string): Promise<string> {
  const [row] = await sql<{ balance: string }[]>`select balance from accounts where id = ${accountId}`;
  return row!.balance;
}
