// The money mutations: purchase, redeem, transfer, each run in the movement frame (frame.ts: one
// database transaction of two round trips, exactly once per idempotency key). What each locks, how
// the gate sees it, what it checks and what it writes is here; input wrong on its face (key,
// amount, the same account twice) is refused before any of it.

import type { CustomerFact, ProductFact } from '../data/facts.ts';
import { permitted } from '../data/query.ts';
import type { Sql, Tx } from '../db/database.ts';
import type { TransactionRow } from '../data/transactions.ts';
import { badInput, clientError } from '../errors.ts';
import type { RecordDocument } from '../policy/permit.ts';
import { canonicalAmount, toCents } from './amount.ts';
import { confirmedDecision } from './confirmations.ts';
import { coolingOffStatement, termsFor, type CoolingOffData } from './cooling-off.ts';
import { move, type FrameContext, type Written } from './frame.ts';
import { covers, lockAccounts, lockCustomers, positionChange, type LockedAccount, type NewTransaction } from './ledger.ts';

/** What a money movement needs from the request. */
export interface MovementContext extends FrameContext {
  /** The request's clock: the transaction's time and its business day. */
  now: Date;
  /** The cooling-off policy's data in force (read only by purchases; throws when no version is). */
  coolingOff: () => CoolingOffData;
  /** The policy versions the request is decided under, with their files' sha256 (a record names the one it ran under). */
  policies: readonly { id: string; sha256: string }[];
}

export interface PurchaseInput {
  productKey: string;
  /** The customer account the money comes from. */
  accountKey: string;
  amount: string;
  idempotencyKey: string;
  /** The customer confirms the warning suitability asks them to confirm; part of the request's fingerprint. */
  confirmRiskMismatch: boolean;
  /** The sha256 (hex) of the warning text the customer was shown, echoed by the client; part of the fingerprint. */
  confirmedWarningSha256: string | null;
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

/** The facts a movement needs itself (policies may too), loaded under its locks. */
const OWN_FACTS = ['customer', 'product'] as const;

/**
 * Buys `amount` of an ONLINE product from a customer account the permit covers: the money moves to
 * the product's collection account. The position grows by it at once, or, for a product with a
 * cooling-off period (private funds and WMP, the `cooling-off` policy), when the period ends: until
 * then the purchase is PENDING and the customer may cancel it (cooling-off.ts). A confirmed risk
 * warning is recorded with the purchase (confirmations.ts).
 * Errors: BAD_USER_INPUT (key; amount ≤ 0 or below the product's minimum; currency), NOT_FOUND
 * (product, account), PRODUCT_NOT_AVAILABLE, INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT, POLICY_DENIED.
 */
export function purchase(ctx: MovementContext, input: PurchaseInput): Promise<TransactionRow> {
  const cents = positiveAmount(input.amount);
  const amount = canonicalAmount(input.amount);
  const policyInput = { productId: input.productKey, accountId: input.accountKey, amount, confirmRiskMismatch: input.confirmRiskMismatch };
  return move(ctx, {
    operation: 'purchaseProduct',
    idempotencyKey: input.idempotencyKey,
    request: {
      productKey: input.productKey,
      accountKey: input.accountKey,
      amount,
      confirmRiskMismatch: input.confirmRiskMismatch,
      ...(input.confirmedWarningSha256 === null ? {} : { confirmedWarningSha256: input.confirmedWarningSha256 }),
    },
    acting: {
      // Stryker disable next-line StringLiteral: message text (frame.ts: "<what> not found"), tests assert codes
      what: 'Account',
      field: 'input.accountId',
    },
    lockCustomers: (tx) => lockCustomers(tx, ctx.permit, input.accountKey),
    keys: { account: input.accountKey, product: input.productKey },
    facts: OWN_FACTS,
    read: (tx) => readProductMovement(tx, ctx, input.productKey, input.accountKey, 'purchase'),
    record: (customerId, _read, facts) => accountRecord(input.accountKey, customerId, facts, policyInput),
    gate: (records, record) => confirmedDecision(records, record, input, ctx.policies.find((p) => p.id.startsWith('suitability@')), ctx.now),
    decide: (customerId, { accounts }, facts) => {
      const open = openForDealing(facts.product as ProductFact | null, 'purchase');
      if (cents < toCents(open.minAmount)) {
        throw badInput(
          'input.amount',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          `is below the product's minimum of ${open.minAmount}`,
        );
      }
      const from = customerAccount(accounts, input.accountKey, 'input.accountId');
      const collection = collectionAccount(accounts, open.id);
      if (from.currency !== open.currency) {
        throw badInput(
          'input.accountId',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          `is in ${from.currency}; the product is sold in ${open.currency}`,
        );
      }
      if (!covers(from, cents)) throw clientError('INSUFFICIENT_FUNDS');
      const terms = termsFor(ctx.coolingOff(), open);
      const entry = { ...ledgerEntry('PURCHASE', cents, open.currency, customerId, open.id, ctx.now, from.id, collection.id), status: terms ? ('PENDING' as const) : ('COMPLETED' as const) };
      return {
        entry,
        parties: { OUTGOING: customerId },
        // in a cooling-off period the money waits in the collection account and buys nothing yet
        alongside: (tx) => [terms ? coolingOffStatement(tx, terms, ctx.now, policyId(ctx, 'cooling-off')) : positionChange(tx, customerId, open.id, cents)],
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
  const amount = canonicalAmount(input.amount);
  return move(ctx, {
    operation: 'redeemProduct',
    idempotencyKey: input.idempotencyKey,
    request: { productKey: input.productKey, accountKey: input.accountKey, amount },
    acting: {
      // Stryker disable next-line StringLiteral: message text (frame.ts: "<what> not found"), tests assert codes
      what: 'Account',
      field: 'input.accountId',
    },
    lockCustomers: (tx) => lockCustomers(tx, ctx.permit, input.accountKey),
    keys: { account: input.accountKey, product: input.productKey },
    facts: OWN_FACTS,
    read: (tx) => readProductMovement(tx, ctx, input.productKey, input.accountKey, 'redemption'),
    record: (customerId, _read, facts) => accountRecord(input.accountKey, customerId, facts, { productId: input.productKey, accountId: input.accountKey, amount }),
    decide: (customerId, { accounts, position }, facts): Written => {
      const open = openForDealing(facts.product as ProductFact | null, 'redemption');
      const to = customerAccount(accounts, input.accountKey, 'input.accountId');
      const collection = collectionAccount(accounts, open.id);
      if (to.currency !== open.currency) {
        throw badInput(
          'input.accountId',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          `is in ${to.currency}; the product is in ${open.currency}`,
        );
      }
      if (position === null || toCents(position) < cents) {
        throw clientError(
          'INSUFFICIENT_FUNDS',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          'The position in this product is smaller than the amount',
          { field: 'input.amount' },
        );
      }
      if (!covers(collection, cents)) throw clientError('INSUFFICIENT_FUNDS');
      return {
        entry: ledgerEntry('REDEMPTION', cents, open.currency, customerId, open.id, ctx.now, collection.id, to.id),
        parties: { INCOMING: customerId },
        alongside: (tx) => [positionChange(tx, customerId, open.id, -cents)],
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
  const amount = canonicalAmount(input.amount);
  if (input.fromAccountKey === input.toAccountKey) {
    throw badInput(
      'input.toAccountId',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'must differ from fromAccountId',
    );
  }
  return move(ctx, {
    operation: 'transfer',
    idempotencyKey: input.idempotencyKey,
    request: { fromAccountKey: input.fromAccountKey, toAccountKey: input.toAccountKey, amount },
    acting: {
      // Stryker disable next-line StringLiteral: message text (frame.ts: "<what> not found"), tests assert codes
      what: 'Account',
      field: 'input.fromAccountId',
    },
    // the receiver's incoming side changes too: its owner is locked with the sender, in id order
    lockCustomers: (tx) => lockCustomers(tx, ctx.permit, input.fromAccountKey, input.toAccountKey),
    keys: { account: input.fromAccountKey, toAccount: input.toAccountKey },
    facts: ['customer'],
    read: (tx) => lockAccounts(tx, [input.fromAccountKey, input.toAccountKey], { permit: ctx.permit }),
    record: (customerId, _read, facts) =>
      accountRecord(input.fromAccountKey, customerId, facts, { fromAccountId: input.fromAccountKey, toAccountId: input.toAccountKey, amount }),
    decide: (customerId, accounts): Written => {
      const from = customerAccount(accounts, input.fromAccountKey, 'input.fromAccountId');
      // funds first, then one answer for any destination that cannot take this money: the
      // destination is someone else's account, and a transfer must not be a way to probe it
      if (!covers(from, cents)) throw clientError('INSUFFICIENT_FUNDS');
      const to = accounts.find((a) => a.id === input.toAccountKey && a.kind === 'CUSTOMER' && a.currency === from.currency);
      if (!to) {
        throw clientError(
          'NOT_FOUND',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          'No account can receive this transfer',
          { field: 'input.toAccountId' },
        );
      }
      return {
        entry: { ...ledgerEntry('TRANSFER', cents, from.currency, customerId, null, ctx.now, from.id, to.id), receivingCustomerId: to.customerId },
        parties: { OUTGOING: customerId, INCOMING: to.customerId! },
      };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Reads and checks

/** Integer cents of a positive amount; the Decimal scalar has already refused every other form. */
function positiveAmount(amount: string): bigint {
  const cents = toCents(amount);
  if (cents <= 0n) {
    throw badInput(
      'input.amount',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'must be greater than 0',
    );
  }
  return cents;
}

/** The `module@version` in force for a module the movement records (it was decided under it). */
function policyId(ctx: MovementContext, module: string): string {
  const found = ctx.policies.find((p) => p.id.startsWith(`${module}@`));
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (!found) throw new Error(`no version of policy module ${module} is in force`);
  return found.id;
}

/** The customer account a movement acts on, as the gate decides on it. */
function accountRecord(accountKey: string, customerId: string, facts: Readonly<Record<string, unknown>>, input: Record<string, string | boolean>): RecordDocument {
  const customer = facts.customer as CustomerFact | null;
  return {
    type: 'Account',
    id: accountKey,
    attributes: { id: accountKey, customerId, institutionId: customer?.institutionId, kind: 'CUSTOMER' },
    facts,
    args: { input },
  };
}

/** What a purchase or redemption checks besides the product: the locked accounts, the customer's position. */
interface ProductMovement {
  accounts: LockedAccount[];
  /** What the owner of the account holds in the product; null when nothing. */
  position: string | null;
}

async function readProductMovement(tx: Tx, ctx: MovementContext, productKey: string, accountKey: string, movement: 'purchase' | 'redemption'): Promise<ProductMovement> {
  const [accounts, [position]] = await Promise.all([
    lockAccounts(tx, [accountKey], { permit: ctx.permit, productKey, productCredited: movement === 'purchase' }),
    tx<{ amount: string }[]>`
      select p.amount from positions p
       where p.customer_id = (select a.customer_id from accounts a where a.id = ${accountKey} and ${permitted(tx as unknown as Sql, ctx.permit, 'Account')})
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
  if (!product) {
    throw clientError(
      'NOT_FOUND',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'Product not found',
      { field: 'input.productId' },
    );
  }
  if (!OPEN_FOR[dealing].includes(product.status)) {
    throw clientError(
      'PRODUCT_NOT_AVAILABLE',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      `The product is ${product.status}, not open for ${dealing}`,
      { field: 'input.productId', status: product.status },
    );
  }
  return product;
}

/** The customer account the movement debits (or a redemption credits); NOT_FOUND unless the permit covers it. */
function customerAccount(accounts: readonly LockedAccount[], key: string, field: string): LockedAccount {
  const account = accounts.find((a) => a.id === key);
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (!account || account.kind !== 'CUSTOMER' || !account.permitted) throw clientError('NOT_FOUND', 'Account not found', { field });
  return account;
}

/** The product's collection account (the only kind of account with a product); a product without one cannot be dealt in. */
function collectionAccount(accounts: readonly LockedAccount[], productId: string): LockedAccount {
  const account = accounts.find((a) => a.productId === productId);
  if (!account) {
    throw clientError(
      'PRODUCT_NOT_AVAILABLE',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'The product has no collection account',
      { field: 'input.productId' },
    );
  }
  return account;
}

/** A two-legged ledger transaction: `cents` out of `from`, into `to`. */
function ledgerEntry(
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
