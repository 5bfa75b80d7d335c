// The ledger's write side. Every money movement is one `transactions` row and its postings, written
// in one statement: the database's statement trigger (migration 0001) refuses postings that do not
// sum to zero and applies them to the balances, which change no other way.
// Lock order, the one every write that moves money or positions follows, so none can deadlock
// another: first the customers it touches, in one statement in id order (a transfer: its sender
// and its receiver); then the accounts, in one statement in id order; then the ledger transaction
// it changes, if any (cancelling or completing a pending purchase). The balance checked is the
// balance debited, and a customer's same-day AML totals and positions cannot move under a check
// (the cooling-off sweep grows positions without the customer's lock: it only ever adds to them).

import type { Fragment } from 'postgres';
import type { Sql, Tx } from '../db/database.ts';
import type { TransactionRow } from '../data/transactions.ts';
import { permitted } from '../data/query.ts';
import { clientError } from '../errors.ts';
import type { Permit } from '../policy/permit.ts';
import { formatCents, toCents } from './amount.ts';

/** A transaction's client builds SQL fragments exactly as the pool's does; only the types differ. */
const fragments = (tx: Tx): Sql => tx as unknown as Sql;

/** An account row as locked for a movement. */
export interface LockedAccount {
  id: string;
  kind: 'CUSTOMER' | 'PRODUCT' | 'SYSTEM';
  customerId: string | null;
  productId: string | null;
  currency: string;
  balance: string;
  allowNegative: boolean;
  /** Whether the movement's permit covers this account (it may be debited by this principal). */
  permitted: boolean;
}

/** One leg of a transaction: a signed amount (negative takes money out) on an account. */
export interface Posting {
  accountId: string;
  cents: bigint;
}

/** A transaction to write: what it is, and postings that sum to zero. */
export interface NewTransaction {
  type: 'PURCHASE' | 'REDEMPTION' | 'TRANSFER' | 'REVERSAL';
  /** PENDING: the money has moved, what it buys has not (a purchase in its cooling-off period). @default "COMPLETED" */
  status?: 'COMPLETED' | 'PENDING';
  cents: bigint;
  currency: string;
  /** The customer it is booked to: the buyer, the redeemer, the sender of a transfer. */
  customerId: string;
  /** The customer whose account a transfer credits. */
  receivingCustomerId?: string | null;
  productId: string | null;
  reversesId?: string | null;
  createdAt: Date;
  postings: readonly Posting[];
}

/**
 * Locks the customers a movement touches, in id order, and returns the acting one's key: the owner of
 * `accountKey` if it is a customer account the permit covers, else `null` (not found and not
 * permitted look the same). A transfer names its destination too (`receivingAccountKey`): its owner's
 * incoming side changes as much as the sender's outgoing one. The first lock of every movement.
 */
export async function lockCustomers(tx: Tx, permit: Permit, accountKey: string, receivingAccountKey?: string): Promise<string | null> {
  const acting = tx`(select a.customer_id from accounts a
                      where a.id = ${accountKey} and a.kind = 'CUSTOMER' and ${permitted(fragments(tx), permit, 'Account')})`;
  const rows = await tx<{ id: string; acting: boolean }[]>`
    select c.id, c.id = ${acting} as acting from customers c
     where c.id in (${acting}, (select a.customer_id from accounts a where a.id = ${receivingAccountKey ?? null} and a.kind = 'CUSTOMER'))
     order by c.id
       for no key update`.execute();
  return rows.find((row) => row.acting)?.id ?? null;
}

/**
 * Locks the customer a transaction is booked to, if the permit covers the transaction, and returns
 * its key (else `null`): the first lock of a write that changes one of their transactions.
 */
export async function lockCustomerOfTransaction(tx: Tx, permit: Permit, transactionKey: string): Promise<string | null> {
  const [row] = await tx<{ id: string }[]>`
    select c.id from customers c
     where c.id = (select t.customer_id from transactions t where t.id = ${transactionKey} and ${permitted(fragments(tx), permit, 'Transaction')})
       for no key update`.execute();
  return row?.id ?? null;
}

/**
 * Locks the accounts with these keys, and the collection account of `productKey` if given, in
 * ascending id order (the one order every movement uses), and returns those that exist, each
 * saying whether `permit` covers it (a movement credits accounts it may not debit).
 *
 * A purchase only credits the collection account (`productCredited`): it reads it without taking
 * its lock here. Every buyer of a product shares that one row, and holding it from this statement
 * to the commit would queue all of them behind each other's facts and decisions; the credit's own
 * UPDATE, pipelined with the COMMIT, still serializes the balance.
 */
export async function lockAccounts(tx: Tx, keys: readonly string[], { permit, productKey, productCredited = false }: { permit: Permit; productKey?: string; productCredited?: boolean }): Promise<LockedAccount[]> {
  const columns = tx`a.id, a.kind, a.customer_id, a.product_id, a.currency, a.balance, a.allow_negative,
                     coalesce(${permitted(fragments(tx), permit, 'Account')}, false) as permitted`;
  if (productCredited && productKey) {
    return tx<LockedAccount[]>`
      with locked as (
        select ${columns} from accounts a where a.id = any(${keys as string[]}::bigint[]) order by a.id for update
      )
      select * from locked
      union all
      select ${columns} from accounts a where a.product_id = ${productKey} and a.id <> all(${keys as string[]}::bigint[])
      order by id`.execute();
  }
  return tx<LockedAccount[]>`
    select ${columns}
      from accounts a
     where a.id = any(${keys as string[]}::bigint[]) or a.product_id = ${productKey ?? null}
     order by a.id
       for update`.execute();
}

/** Whether the account may pay `cents` (system accounts may go negative). */
export function covers(account: LockedAccount, cents: bigint): boolean {
  return account.allowNegative || toCents(account.balance) >= cents;
}

/**
 * Writes a transaction (COMPLETED unless the entry says PENDING) and its postings in one statement and returns the transaction.
 * The accounts must be locked already; the database refuses postings that do not balance. The
 * statement is sent at once, so a caller may pipeline COMMIT behind it.
 * `alongside` are further data-modifying statements that belong to the same movement (its
 * idempotency result, its position, its alerts): they run in the same statement and may read the
 * new transaction's row as `t`.
 */
export async function postTransaction(tx: Tx, entry: NewTransaction, alongside: readonly Fragment[] = []): Promise<TransactionRow> {
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (entry.postings.reduce((sum, p) => sum + p.cents, 0n) !== 0n) throw new Error('postings must sum to zero');
  const accounts = entry.postings.map((p) => p.accountId);
  const amounts = entry.postings.map((p) => formatCents(p.cents));
  const [row] = await tx<TransactionRow[]>`
    with t as (
      insert into transactions (type, status, amount, currency, customer_id, receiving_customer_id, product_id, reverses_id, created_at)
      values (${entry.type}, ${entry.status ?? 'COMPLETED'}, ${formatCents(entry.cents)}, ${entry.currency}, ${entry.customerId},
              ${entry.receivingCustomerId ?? null}, ${entry.productId}, ${entry.reversesId ?? null}, ${entry.createdAt})
      returning *
    ), postings as (
      insert into postings (transaction_id, account_id, amount)
      select t.id, x.account_id, x.amount
        from t, unnest(${accounts}::bigint[], ${amounts}::numeric[]) as x(account_id, amount)
    )${alongside.reduce((more, statement, i) => tx`${more}, ${tx.unsafe(`alongside_${i}`)} as (${statement})`, tx``)}
    select id, type, status, amount, currency, customer_id, product_id, created_at from t`.execute();
  return row!;
}

/**
 * The statement that changes a customer's position in a product by `cents` (signed), for
 * `alongside`. A decrease needs the position to exist and cover it (checked under the customer's
 * lock; the table's CHECK is the backstop).
 */
export function positionChange(tx: Tx, customerId: string, productId: string, cents: bigint): Fragment {
  return cents > 0n
    ? tx`
        insert into positions (customer_id, product_id, amount) values (${customerId}, ${productId}, ${formatCents(cents)})
        on conflict (customer_id, product_id) do update set amount = positions.amount + excluded.amount`
    : tx`
        update positions set amount = amount + ${formatCents(cents)}
         where customer_id = ${customerId} and product_id = ${productId}`;
}

/**
 * Corrects a completed transaction the only way the ledger allows: a new REVERSAL transaction with
 * the opposite postings, and the original's status COMPLETED → REVERSED, in one database
 * transaction, under the same locks as a movement (its customer, then its accounts in id order).
 * A purchase's or redemption's position moves back with the money. Throws NOT_FOUND for an unknown
 * transaction, BAD_USER_INPUT if it is not COMPLETED (or is itself a reversal), INSUFFICIENT_FUNDS
 * if an account or position no longer holds what the reversal takes back. `accounts` is the permit
 * the reversal is made under (it locks accounts it may not debit: the collection account pays back).
 */
export async function reverseTransaction(sql: Sql, accounts: Permit, transactionKey: string, now: Date): Promise<TransactionRow> {
  return sql.begin(async (tx) => {
    const [original] = await tx<(TransactionRow & { reversesId: string | null })[]>`
      select t.* from transactions t where t.id = ${transactionKey}`;
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    if (!original) throw clientError('NOT_FOUND', 'Transaction not found');
    await tx`select id from customers where id = ${original.customerId} for no key update`;
    const legs = await tx<{ accountId: string; amount: string }[]>`
      select account_id, amount from postings where transaction_id = ${original.id} order by id`;
    const locked = await lockAccounts(tx, legs.map((l) => l.accountId), { permit: accounts });
    // re-read under the locks: a concurrent reversal may have won
    const [current] = await tx<{ status: string }[]>`select status from transactions where id = ${original.id} for update`;
    if (current!.status !== 'COMPLETED' || original.type === 'REVERSAL') {
      throw clientError(
        'BAD_USER_INPUT',
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        'Only a completed transaction can be reversed',
        { field: 'id' },
      );
    }
    for (const p of reversalOf(original, legs, now).postings) {
      if (p.cents < 0n && !covers(locked.find((a) => a.id === p.accountId)!, -p.cents)) throw clientError('INSUFFICIENT_FUNDS');
    }
    const alongside: Fragment[] = [];
    if (original.productId) {
      const cents = toCents(original.amount);
      const delta = original.type === 'PURCHASE' ? -cents : cents;
      const [position] = await tx<{ amount: string }[]>`
        select amount from positions where customer_id = ${original.customerId} and product_id = ${original.productId}`;
      if (delta < 0n && (!position || toCents(position.amount) < -delta)) {
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        throw clientError('INSUFFICIENT_FUNDS', 'The position no longer holds what the reversal takes back');
      }
      alongside.push(positionChange(tx, original.customerId, original.productId, delta));
    }
    await tx`update transactions set status = 'REVERSED' where id = ${original.id}`;
    return postTransaction(tx, reversalOf(original, legs, now), alongside);
  });
}

/** The transaction that undoes `original`: the same amount on the opposite postings, booked to the same customer. */
export function reversalOf(original: TransactionRow, legs: readonly { accountId: string; amount: string }[], createdAt: Date): NewTransaction {
  return {
    type: 'REVERSAL',
    cents: toCents(original.amount),
    currency: original.currency,
    customerId: original.customerId,
    productId: null,
    reversesId: original.id,
    createdAt,
    postings: legs.map((l) => ({ accountId: l.accountId, cents: -toCents(l.amount) })),
  };
}
