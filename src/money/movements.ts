// The money mutations: purchase, redeem, transfer. Each is one database transaction of two round
// trips (PostgreSQL runs pipelined statements in order, so each sees the locks of those before it):
//   1. BEGIN; claim the idempotency key (a duplicate waits here until the first request ends), lock
//      the acting customer, then the accounts involved in id order, and read under those locks what
//      the checks need: the facts the policies decide with (the product, the customer's risk
//      profile…), the position, the customer's same-day AML total;
//   2. the gate decides the movement on its record with those facts (a denial rolls back), then
//      plain functions check it (existence, permission, currency, product status and minimum,
//      funds, position, large-value rules); then the ledger transaction, its postings, the key's
//      result, the position and any alert are written in ONE statement, the decision stream's
//      observers add their rows, and COMMIT.
// Two round trips rather than sql.begin's four (it awaits BEGIN and COMMIT on their own): on a
// busy machine every round trip is a socket write and a context switch on both sides, and they
// were most of the cost of a movement.
// A replayed key returns the stored transaction; a refused request rolls back and stores nothing.
// Input wrong on its face (key, amount, the same account twice) is refused before any of this.

import type { Fragment } from 'postgres';
import type { CustomerFact, ProductFact } from '../data/facts.ts';
import { permitted } from '../data/query.ts';
import type { Sql, Tx } from '../db/database.ts';
import type { TransactionRow } from '../data/transactions.ts';
import { badInput, clientError, isClientError } from '../errors.ts';
import type { Permit } from '../policy/permit.ts';
import { canonicalAmount, toCents } from './amount.ts';
import { alertsStatement } from './alerts.ts';
import { largeValueAlerts, sameDayTotal, type AmlRules, type MovementFacts } from './aml.ts';
import { checkIdempotencyKey, claimKey, fingerprint, recordResult, type CanonicalValue, type Claim } from './idempotency.ts';
import { covers, lockAccounts, lockActingCustomer, positionChange, postTransaction, type LockedAccount, type NewTransaction } from './ledger.ts';

/** What a money movement needs from the request. */
export interface MovementContext {
  sql: Sql;
  /** The token's subject: idempotency keys are scoped to it. */
  principalId: string;
  /**
   * The gate's permit for the movement: the accounts this principal may move money out of, and
   * the gate's decision on the movement's record, made here under the locks.
   */
  accounts: Permit;
  /** The request's clock: the transaction's time and its AML business day. */
  now: Date;
  /** The business day's time zone (FINGATE_TIME_ZONE). */
  timeZone: string;
  aml: AmlRules;
}

export interface PurchaseInput {
  productKey: string;
  /** The customer account the money comes from. */
  accountKey: string;
  amount: string;
  idempotencyKey: string;
  /** Checked by the suitability policy before this runs; part of the request's fingerprint. */
  confirmRiskMismatch: boolean;
}

export interface RedeemInput {
  productKey: string;
  /** The customer account the money goes to. */
  accountKey: string;
  amount: string;
  idempotencyKey: string;
}

export interface TransferInput {
  fromAccountKey: string;
  toAccountKey: string;
  amount: string;
  idempotencyKey: string;
}

/**
 * Buys `amount` of an ONLINE product from a customer account the permit covers: the money moves
 * to the product's collection account and the customer's position grows by it.
 * Errors: BAD_USER_INPUT (key; amount ≤ 0 or below the product's minimum; currency), NOT_FOUND
 * (product, account), PRODUCT_NOT_AVAILABLE, INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT.
 */
export function purchase(ctx: MovementContext, input: PurchaseInput): Promise<TransactionRow> {
  const cents = positiveAmount(input.amount);
  return move(ctx, {
    operation: 'purchaseProduct',
    idempotencyKey: input.idempotencyKey,
    request: {
      productKey: input.productKey,
      accountKey: input.accountKey,
      amount: canonicalAmount(input.amount),
      confirmRiskMismatch: input.confirmRiskMismatch,
    },
    acting: { accountKey: input.accountKey, field: 'input.accountId' },
    keys: { account: input.accountKey, product: input.productKey },
    policyInput: { productId: input.productKey, accountId: input.accountKey, amount: canonicalAmount(input.amount), confirmRiskMismatch: input.confirmRiskMismatch },
    read: (tx) => readProductMovement(tx, ctx, input.productKey, input.accountKey),
    decide: (customerId, { accounts }, facts) => {
      const open = openForDealing(facts.product, 'purchase');
      if (cents < toCents(open.minAmount)) throw badInput('input.amount', `is below the product's minimum of ${open.minAmount}`);
      const from = customerAccount(accounts, input.accountKey, 'input.accountId');
      const collection = collectionAccount(accounts, open.id);
      if (from.currency !== open.currency) throw badInput('input.accountId', `is in ${from.currency}; the product is sold in ${open.currency}`);
      if (!covers(from, cents)) throw clientError('INSUFFICIENT_FUNDS');
      return {
        entry: entry('PURCHASE', cents, open.currency, customerId, open.id, ctx.now, from.id, collection.id),
        position: { productId: open.id, cents },
      };
    },
  });
}

/**
 * Sells back `amount` of a product that is ONLINE, SUSPENDED or TERMINATED (a product wound down
 * never traps its holders' money), at most what the customer holds in it: the money moves from the
 * product's collection account to a customer account the permit covers. Errors: as for purchase (no
 * minimum); redeeming more than the position is INSUFFICIENT_FUNDS (field input.amount).
 */
export function redeem(ctx: MovementContext, input: RedeemInput): Promise<TransactionRow> {
  const cents = positiveAmount(input.amount);
  return move(ctx, {
    operation: 'redeemProduct',
    idempotencyKey: input.idempotencyKey,
    request: { productKey: input.productKey, accountKey: input.accountKey, amount: canonicalAmount(input.amount) },
    acting: { accountKey: input.accountKey, field: 'input.accountId' },
    keys: { account: input.accountKey, product: input.productKey },
    policyInput: { productId: input.productKey, accountId: input.accountKey, amount: canonicalAmount(input.amount) },
    read: (tx) => readProductMovement(tx, ctx, input.productKey, input.accountKey),
    decide: (customerId, { accounts, position }, facts) => {
      const open = openForDealing(facts.product, 'redemption');
      const to = customerAccount(accounts, input.accountKey, 'input.accountId');
      const collection = collectionAccount(accounts, open.id);
      if (to.currency !== open.currency) throw badInput('input.accountId', `is in ${to.currency}; the product is in ${open.currency}`);
      if (position === null || toCents(position) < cents) {
        throw clientError('INSUFFICIENT_FUNDS', 'The position in this product is smaller than the amount', { field: 'input.amount' });
      }
      if (!covers(collection, cents)) throw clientError('INSUFFICIENT_FUNDS');
      return {
        entry: entry('REDEMPTION', cents, open.currency, customerId, open.id, ctx.now, collection.id, to.id),
        position: { productId: open.id, cents: -cents },
      };
    },
  });
}

/**
 * Moves `amount` from a customer account the permit covers to any other customer account in the
 * same currency. Errors: BAD_USER_INPUT (key, amount ≤ 0, the same account, currency), NOT_FOUND
 * (either account; one the permit does not cover looks exactly like one that does not exist),
 * INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT.
 */
export function transfer(ctx: MovementContext, input: TransferInput): Promise<TransactionRow> {
  const cents = positiveAmount(input.amount);
  if (input.fromAccountKey === input.toAccountKey) throw badInput('input.toAccountId', 'must differ from fromAccountId');
  return move(ctx, {
    operation: 'transfer',
    idempotencyKey: input.idempotencyKey,
    request: { fromAccountKey: input.fromAccountKey, toAccountKey: input.toAccountKey, amount: canonicalAmount(input.amount) },
    acting: { accountKey: input.fromAccountKey, field: 'input.fromAccountId' },
    keys: { account: input.fromAccountKey },
    policyInput: { fromAccountId: input.fromAccountKey, toAccountId: input.toAccountKey, amount: canonicalAmount(input.amount) },
    read: (tx) => lockAccounts(tx, [input.fromAccountKey, input.toAccountKey], { permit: ctx.accounts }),
    decide: (customerId, accounts) => {
      const from = customerAccount(accounts, input.fromAccountKey, 'input.fromAccountId');
      // funds first, then one answer for any destination that cannot take this money: the
      // destination is someone else's account, and a transfer must not be a way to probe it
      if (!covers(from, cents)) throw clientError('INSUFFICIENT_FUNDS');
      const to = accounts.find((a) => a.id === input.toAccountKey && a.kind === 'CUSTOMER' && a.currency === from.currency);
      if (!to) throw clientError('NOT_FOUND', 'No account can receive this transfer', { field: 'input.toAccountId' });
      return { entry: entry('TRANSFER', cents, from.currency, customerId, null, ctx.now, from.id, to.id) };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The frame every movement runs in

/** One movement: what it claims, whose it is, what it reads under the locks, and how it decides. */
interface Movement<Facts> {
  operation: string;
  idempotencyKey: string;
  /** The input in canonical form, without the key: what the key's fingerprint covers. */
  request: Readonly<Record<string, CanonicalValue>>;
  /** The customer account whose owner the movement acts for (debited, or credited by a redemption). */
  acting: { accountKey: string; field: string };
  /** The keys the policies' facts are loaded for (`account`, `product`). */
  keys: { account: string; product?: string };
  /** The input as policies see it (`args.input`): keys, the canonical amount, confirmations. */
  policyInput: Readonly<Record<string, string | boolean>>;
  /** Locks the accounts and reads what `decide` needs; issued in the first round trip. */
  read(tx: Tx): Promise<Facts>;
  /** Checks (throwing client errors) and says what to write. No I/O. */
  decide(customerId: string, read: Facts, facts: MovementPolicyFacts): Decision;
}

/** The facts a movement needs itself (and policies may too), loaded under its locks. */
interface MovementPolicyFacts {
  customer: CustomerFact | null;
  product: ProductFact | null;
}

/** What a movement writes: its ledger transaction and, for products, the position change. */
interface Decision {
  entry: NewTransaction;
  position?: { productId: string; cents: bigint };
}

/** Attempts of a movement that hit a deadlock or serialization failure (PostgreSQL docs 13.5). */
const ATTEMPTS = 3;

/** Validates the key, then runs the movement in one database transaction, retrying deadlocks whole. */
async function move<Facts>(ctx: MovementContext, movement: Movement<Facts>): Promise<TransactionRow> {
  checkIdempotencyKey(movement.idempotencyKey);
  const claim: Claim = {
    principalId: ctx.principalId,
    key: movement.idempotencyKey,
    operation: movement.operation,
    fingerprint: fingerprint(movement.operation, movement.request),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.sql, (tx, begun, commit) => execute(tx, ctx, claim, movement, begun, commit));
    } catch (error) {
      if (isClientError(error)) throw error;
      const code = (error as { code?: string }).code;
      // fixed lock order makes these unexpected; PostgreSQL still advises retrying them whole
      if ((code === '40P01' || code === '40001') && attempt < ATTEMPTS) continue;
      if (code === '40P01' || code === '40001' || code === '55P03') throw clientError('SERVICE_UNAVAILABLE');
      // the balance and position CHECKs are the backstop behind the checks under the locks
      if (code === '23514' && ['accounts', 'positions'].includes((error as { table_name?: string }).table_name ?? '')) throw clientError('INSUFFICIENT_FUNDS');
      throw error;
    }
  }
}

/**
 * Runs `work` in one database transaction on a connection of its own. BEGIN goes out with the
 * work's first statements (they queue behind it; the work awaits `begun` with them, before it
 * writes anything that must not outlive a failed BEGIN) and COMMIT with its last (`commit` sends
 * it). Anything thrown rolls back. The connection serves one transaction at a time, like
 * `sql.begin`'s.
 */
async function inTransaction<T>(sql: Sql, work: (tx: Tx, begun: Promise<unknown>, commit: () => Promise<unknown>) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  try {
    const begun = connection`begin`.execute();
    // BEGIN is on its way: from here the connection is used exactly as a transaction's client
    return await work(connection as unknown as Tx, begun, () => connection`commit`.execute());
  } catch (error) {
    // after a failed COMMIT there is no transaction left, and PostgreSQL only warns
    await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}

async function execute<Facts>(
  tx: Tx,
  ctx: MovementContext,
  claim: Claim,
  movement: Movement<Facts>,
  begun: Promise<unknown>,
  commit: () => Promise<unknown>,
): Promise<TransactionRow> {
  // Round trip 1, pipelined behind BEGIN in this order: the claim (a duplicate blocks here, holding
  // nothing else), the customer's lock, the accounts' locks and reads, and the same-day total.
  // Every helper sends its statement synchronously (`.execute()`), so the order below is the order
  // PostgreSQL runs them in. (Had BEGIN failed, the claim could not commit without its result: the
  // database checks that at the end of the statement.)
  const records = ctx.accounts.records!;
  const [, outcome, customerId, read, dayTotal, facts] = await Promise.all([
    begun,
    claimKey(tx, claim),
    lockActingCustomer(tx, ctx.accounts, movement.acting.accountKey),
    movement.read(tx),
    sameDayTotal(tx, ctx.aml, ctx.accounts, movement.acting.accountKey, ctx.now, ctx.timeZone),
    records.facts(tx as unknown as Sql, movement.keys, ['customer', 'product']),
  ]);
  // A replay too needs the caller to still act for the account: a stored result is never shown to
  // a caller whose permit does not cover it (e.g. two customers behind one token subject).
  if (customerId === null) throw clientError('NOT_FOUND', 'Account not found', { field: movement.acting.field });
  if (outcome.kind === 'replay') return (await Promise.all([storedTransaction(tx, outcome.transactionId), commit()]))[0];

  // the gate decides on the movement's record with the facts read under the locks
  const customer = facts.customer as CustomerFact | null;
  const obligations = records.decide({
    type: 'Account',
    id: movement.acting.accountKey,
    attributes: { id: movement.acting.accountKey, customerId, institutionId: customer?.institutionId, kind: 'CUSTOMER' },
    facts,
    args: { input: movement.policyInput },
  });
  const { entry, position } = movement.decide(customerId, read, facts as unknown as MovementPolicyFacts);
  const aml: MovementFacts = { type: entry.type, currency: entry.currency, cents: entry.cents, sameDayBeforeCents: dayTotal };
  // the policy decision's alerts (e.g. a confirmed suitability override) and the AML rules'
  const alerts = [...(obligations.alerts ?? []), ...largeValueAlerts(ctx.aml, aml)];

  // Round trip 2: everything the movement writes, in one statement, the observers' rows, and COMMIT
  // behind them (after a failed statement PostgreSQL answers COMMIT with a rollback).
  const alongside: Fragment[] = [recordResult(tx, claim)];
  if (position) alongside.push(positionChange(tx, customerId, position.productId, position.cents));
  if (alerts.length > 0) alongside.push(alertsStatement(tx, alerts));
  const [posted] = await Promise.all([postTransaction(tx, entry, alongside), records.observe(tx as unknown as Sql), commit()]);
  return posted;
}

async function storedTransaction(tx: Tx, transactionId: string): Promise<TransactionRow> {
  const [row] = await tx<TransactionRow[]>`
    select id, type, status, amount, currency, customer_id, product_id, created_at from transactions where id = ${transactionId}`.execute();
  return row!;
}

// ---------------------------------------------------------------------------------------------
// Reads and checks

/** Integer cents of a positive amount; the Decimal scalar has already refused every other form. */
function positiveAmount(amount: string): bigint {
  const cents = toCents(amount);
  if (cents <= 0n) throw badInput('input.amount', 'must be greater than 0');
  return cents;
}

/** What a purchase or redemption checks besides the product: the locked accounts, the customer's position. */
interface ProductMovement {
  accounts: LockedAccount[];
  /** What the owner of the account holds in the product; null when nothing. */
  position: string | null;
}

async function readProductMovement(tx: Tx, ctx: MovementContext, productKey: string, accountKey: string): Promise<ProductMovement> {
  const [accounts, [position]] = await Promise.all([
    lockAccounts(tx, [accountKey], { permit: ctx.accounts, productKey }),
    tx<{ amount: string }[]>`
      select p.amount from positions p
       where p.customer_id = (select a.customer_id from accounts a where a.id = ${accountKey} and ${permitted(tx as unknown as Sql, ctx.accounts, 'Account')})
         and p.product_id = ${productKey}`.execute(),
  ]);
  return { accounts, position: position?.amount ?? null };
}

/**
 * The statuses in which a product is dealt in: bought only while ONLINE; redeemed also once sales
 * are suspended or the product is wound down, so that its holders' money is never trapped.
 */
const OPEN_FOR: Readonly<Record<'purchase' | 'redemption', readonly string[]>> = {
  purchase: ['ONLINE'],
  redemption: ['ONLINE', 'SUSPENDED', 'TERMINATED'],
};

/** The product if it exists and is open for this kind of dealing; NOT_FOUND or PRODUCT_NOT_AVAILABLE otherwise. */
function openForDealing(product: ProductFact | null, dealing: keyof typeof OPEN_FOR): ProductFact {
  if (!product) throw clientError('NOT_FOUND', 'Product not found', { field: 'input.productId' });
  if (!OPEN_FOR[dealing].includes(product.status)) {
    throw clientError('PRODUCT_NOT_AVAILABLE', `The product is ${product.status}, not open for ${dealing}`, { field: 'input.productId', status: product.status });
  }
  return product;
}

/** The customer account the movement debits (or a redemption credits); NOT_FOUND unless the permit covers it. */
function customerAccount(accounts: readonly LockedAccount[], key: string, field: string): LockedAccount {
  const account = accounts.find((a) => a.id === key);
  if (!account || account.kind !== 'CUSTOMER' || !account.permitted) throw clientError('NOT_FOUND', 'Account not found', { field });
  return account;
}

/** The product's collection account; a product without one cannot be dealt in. */
function collectionAccount(accounts: readonly LockedAccount[], productId: string): LockedAccount {
  const account = accounts.find((a) => a.kind === 'PRODUCT' && a.productId === productId);
  if (!account) throw clientError('PRODUCT_NOT_AVAILABLE', 'The product has no collection account', { field: 'input.productId' });
  return account;
}

/** A two-legged ledger transaction: `cents` out of `from`, into `to`. */
function entry(
  type: NewTransaction['type'],
  cents: bigint,
  currency: string,
  customerId: string,
  productId: string | null,
  createdAt: Date,
  from: string,
  to: string,
): NewTransaction {
  return {
    type,
    cents,
    currency,
    customerId,
    productId,
    createdAt,
    postings: [
      { accountId: from, cents: -cents },
      { accountId: to, cents },
    ],
  };
}
