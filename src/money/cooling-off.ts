// The cooling-off period (投资冷静期) of private funds and private wealth-management products
// (regulations S17/S18). The `cooling-off` policy's data says which classes of product have one, how
// long (≥ 24 h) and whether a return call (回访) must follow; its Rego decides when a purchase may be
// cancelled and when a return call may be recorded.
//
// Ledger semantics: the purchase moves the money at once, from the customer's account into the
// product's collection account, as a PENDING transaction; the position is not credited. So every
// posting balances, no balance goes negative (the money is simply elsewhere), and nothing can be
// redeemed that is not bought yet.
//   - cancel (the customer, during the period; for a private fund until the return call): a REVERSAL
//     pays the amount back from the collection account, the purchase becomes REVERSED. The
//     collection account always holds it: it holds every position plus every pending purchase.
//   - complete (the period over, and the return call recorded where one is required): the purchase
//     becomes COMPLETED and the position grows by its amount, in one statement, once: the status
//     changes only from PENDING, under the transaction's row lock, so two instances, or a sweep and
//     a return call, cannot both complete it, and a cancel and a completion cannot both happen.
// Lock order as every movement (ledger.ts): customer, accounts in id order, then the transaction.
// The sweep locks only transactions (skipping locked ones) and then positions, which no holder of
// a position's lock waits on a transaction to release.

import type { Fragment } from 'postgres';
import { createAuditLog } from '../audit/log.ts';
import { operator, recordCommand } from '../audit/operator.ts';
import type { CustomerFact, ProductFact } from '../data/facts.ts';
import type { TransactionRow } from '../data/transactions.ts';
import { permitted } from '../data/query.ts';
import type { Sql, Tx } from '../db/database.ts';
import { clientError } from '../errors.ts';
import type { Permit, RecordDocument } from '../policy/permit.ts';
import type { PolicyRuntime, VersionSet } from '../policy/runtime.ts';
import { inTransaction, move } from './frame.ts';
import { covers, lockCustomerOfTransaction, reversalOf, type LockedAccount } from './ledger.ts';
import type { MovementContext } from './movements.ts';

/** One class of product's cooling-off terms, as the `cooling-off` policy's data states them. */
export interface CoolingOffTerms {
  /** At least 24 (the policy file cannot say less). */
  hours: number;
  /** Whether the purchase completes only after a recorded return call (private funds, S18). */
  returnCall: boolean;
}

/** The `cooling-off` policy file's body, as purchases read it. */
export interface CoolingOffData {
  data: { classes: Readonly<Record<string, CoolingOffTerms>> };
}

/** A product's class for the cooling-off rules: its offering and category, e.g. `PRIVATE_FUND`. */
const productClass = (product: Pick<ProductFact, 'offering' | 'category'>): string => `${product.offering}_${product.category}`;

/** The cooling-off terms of a purchase of `product`, or null when its class has none. */
export function termsFor(policy: CoolingOffData, product: ProductFact): (CoolingOffTerms & { productClass: string }) | null {
  const key = productClass(product);
  const terms = Object.hasOwn(policy.data.classes, key) ? policy.data.classes[key] : undefined;
  return terms ? { ...terms, productClass: key } : null;
}

/** The statement that opens the new purchase's (`t`) cooling-off period, for the ledger's `alongside`. */
export function coolingOffStatement(tx: Tx, terms: CoolingOffTerms & { productClass: string }, now: Date, policy: string): Fragment {
  const endsAt = new Date(now.getTime() + terms.hours * 3_600_000);
  return tx`
    insert into cooling_off_periods (transaction_id, product_class, policy, starts_at, ends_at, return_call_required)
    select t.id, ${terms.productClass}, ${policy}, ${now}, ${endsAt}, ${terms.returnCall} from t`;
}

export interface CancelInput {
  transactionKey: string;
  idempotencyKey: string;
}

/**
 * Cancels a purchase in its cooling-off period for a full refund, exactly once per idempotency key
 * (a retry answers with the same refund): a REVERSAL from the collection account back to the
 * account it came from, and the purchase REVERSED. The `cooling-off` policy decides whether it may
 * still be cancelled (POLICY_DENIED otherwise). Errors: NOT_FOUND (not the caller's, or no such
 * transaction), POLICY_DENIED, IDEMPOTENCY_CONFLICT.
 */
export function cancelPurchase(ctx: MovementContext, input: CancelInput): Promise<TransactionRow> {
  return move(ctx, {
    operation: 'cancelPurchase',
    idempotencyKey: input.idempotencyKey,
    request: { transactionKey: input.transactionKey },
    acting: {
      // Stryker disable next-line StringLiteral: message text (frame.ts: "<what> not found"), tests assert codes
      what: 'Transaction',
      field: 'input.transactionId',
    },
    lockCustomers: (tx) => lockCustomerOfTransaction(tx, ctx.permit, input.transactionKey),
    keys: { transaction: input.transactionKey },
    facts: ['customer', 'coolingOff'],
    read: (tx) => lockPurchase(tx, ctx.permit, input.transactionKey),
    record: (customerId, { purchase }, facts) => transactionRecord(purchase!, customerId, facts),
    decide: (_customerId, { purchase, legs }) => {
      // the policy decided the period; the ledger only ever cancels what has bought nothing yet
      if (purchase!.type !== 'PURCHASE' || purchase!.status !== 'PENDING') {
        throw clientError(
          'BAD_USER_INPUT',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          'Only a pending purchase can be cancelled',
          { field: 'input.transactionId' },
        );
      }
      const refund = reversalOf(purchase!, legs, ctx.now);
      for (const p of refund.postings) if (p.cents < 0n && !covers(legs.find((l) => l.accountId === p.accountId)!.account, -p.cents)) throw clientError('INSUFFICIENT_FUNDS');
      return {
        entry: refund,
        parties: {},
        alongside: (tx) => [tx`update transactions set status = 'REVERSED' where id = ${purchase!.id} and status = 'PENDING'`],
      };
    },
  });
}

/** What the staff member recording a return call needs from the request. */
export interface ReturnCallContext {
  sql: Sql;
  /** The staff member's token subject, recorded with the call. */
  principalId: string;
  /** The gate's permit for `transaction.recordReturnCall`. */
  permit: Permit;
  now: Date;
}

/**
 * Records the return call (回访) of a purchase whose cooling-off period has ended and that needs one
 * (private funds, S18), and completes it: the position is credited. The `cooling-off` policy decides
 * whether the call may be recorded now (never during the period: the firm may not contact the
 * investor then). A second call of the same purchase changes nothing and answers the same.
 * Errors: NOT_FOUND, POLICY_DENIED.
 */
export async function recordReturnCall(ctx: ReturnCallContext, transactionKey: string): Promise<TransactionRow> {
  const records = ctx.permit.records!;
  return inTransaction(ctx.sql, async (tx, begun, commit) => {
    const [, customerId, { purchase }, facts] = await Promise.all([
      begun,
      lockCustomerOfTransaction(tx, ctx.permit, transactionKey),
      lockPurchase(tx, ctx.permit, transactionKey, { accounts: false }),
      records.facts(tx as unknown as Sql, { transaction: transactionKey }, ['customer', 'coolingOff']),
    ]);
    if (customerId === null || !purchase) {
      throw clientError(
        'NOT_FOUND',
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        'Transaction not found',
        { field: 'input.transactionId' },
      );
    }
    records.decide(transactionRecord(purchase, customerId, facts));
    // a call already recorded matches nothing here, and the purchase is answered as it is
    const [[completed]] = await Promise.all([
      tx<TransactionRow[]>`
        with called as (
          update cooling_off_periods set return_call_at = ${ctx.now}, return_call_by = ${ctx.principalId}
           where transaction_id = ${purchase.id} and return_call_at is null and ends_at <= ${ctx.now}
          returning transaction_id as id
        ), ${completion(fragments(tx), tx`select id from called`)}
        select id, type, status, amount, currency, customer_id, product_id, created_at from completed`.execute(),
      records.observe(tx as unknown as Sql),
      commit(),
    ]);
    return completed ?? purchase;
  });
}

/**
 * The sweep as the gateway runs it (every minute, on every instance): each run completes what is
 * due under the policy versions in force at its time, recorded in their audit trail.
 */
export function coolingOffSweep(sql: Sql, policies: Pick<PolicyRuntime, 'at'>): (now: Date) => Promise<number> {
  const audit = createAuditLog(sql);
  return (now) => completeDuePurchases(sql, now, audit.bind(policies.at(now)));
}

/** Who completes purchases when their period is over: the gateway itself, recorded like an operator's command. */
const SWEEPER = operator('fingate:cooling-off-sweep');

/**
 * Completes every purchase whose cooling-off period is over (and whose return call, if it needs one,
 * is recorded), at most `limit` at a time; returns how many. Any instance may run it at any time:
 * rows another sweep holds are skipped, and a purchase completes once. What it completed is handed
 * to the observers of `versions` (the audit trail, as `transaction.complete`) in the same
 * transaction: a record that cannot be written completes nothing.
 */
async function completeDuePurchases(sql: Sql, now: Date, versions: VersionSet, limit = 500): Promise<number> {
  return sql.begin(async (tx) => {
    const completed = await tx<{ id: string }[]>`
      with due as (
        select t.id from transactions t join cooling_off_periods c on c.transaction_id = t.id
         where t.status = 'PENDING' and c.ends_at <= ${now} and (not c.return_call_required or c.return_call_at is not null)
         order by t.id
         limit ${limit}
           for update of t skip locked
      ), ${completion(fragments(tx), tx`select id from due`)}
      select id from completed order by id`;
    if (completed.length === 0) return 0;
    await recordCommand(fragments(tx), versions, {
      argv: ['start', '(cooling-off sweep)'],
      name: 'cooling-off sweep',
      action: 'transaction.complete',
      resourceType: 'Transaction',
      resourceIds: completed.map((row) => row.id),
      by: SWEEPER,
      inTransaction: true,
    });
    return completed.length;
  });
}

/**
 * The common table expressions that complete the PENDING purchases whose ids `ids` selects: their
 * status becomes COMPLETED (only from PENDING), and each position grows by what was bought, summed
 * per position and written in key order. Names `completed` (their ids).
 */
function completion(sql: Sql, ids: Fragment): Fragment {
  return sql`
    completed as (
      update transactions t set status = 'COMPLETED'
       where t.id in (${ids}) and t.status = 'PENDING' and t.type = 'PURCHASE'
      returning t.id, t.type, t.status, t.amount, t.currency, t.customer_id, t.product_id, t.created_at
    ), credited as (
      insert into positions (customer_id, product_id, amount)
      select customer_id, product_id, sum(amount) from completed group by customer_id, product_id order by customer_id, product_id
      on conflict (customer_id, product_id) do update set amount = positions.amount + excluded.amount
    )`;
}

// ---------------------------------------------------------------------------------------------

/** A transaction's client builds SQL fragments exactly as the pool's does; only the types differ. */
const fragments = (tx: Tx): Sql => tx as unknown as Sql;

/** A purchase as locked for a change: the row, and its legs with their accounts. */
interface LockedPurchase {
  purchase: TransactionRow | null;
  legs: { accountId: string; amount: string; account: LockedAccount }[];
}

/**
 * Locks the accounts a purchase moved money between (in id order, like every movement), then the
 * purchase's row, and reads both; under the permit for the transaction.
 */
async function lockPurchase(tx: Tx, permit: Permit, transactionKey: string, { accounts = true } = {}): Promise<LockedPurchase> {
  const covered = permitted(fragments(tx), permit, 'Transaction');
  const [legs, [purchase]] = await Promise.all([
    accounts
      ? tx<(LockedAccount & { amount: string })[]>`
          select a.id, a.kind, a.customer_id, a.product_id, a.currency, a.balance, a.allow_negative, true as permitted, p.amount
            from postings p join accounts a on a.id = p.account_id
           where p.transaction_id = (select t.id from transactions t where t.id = ${transactionKey} and ${covered})
           order by a.id
             for update of a`.execute()
      : Promise.resolve([]),
    tx<TransactionRow[]>`
      select t.id, t.type, t.status, t.amount, t.currency, t.customer_id, t.product_id, t.created_at
        from transactions t where t.id = ${transactionKey} and ${covered}
         for update`.execute(),
  ]);
  return { purchase: purchase ?? null, legs: legs.map(({ amount, ...account }) => ({ accountId: account.id, amount, account })) };
}

/** A purchase as the gate decides on it. */
function transactionRecord(purchase: TransactionRow, customerId: string, facts: Readonly<Record<string, unknown>>): RecordDocument {
  const customer = facts.customer as CustomerFact | null;
  return {
    type: 'Transaction',
    id: purchase.id,
    attributes: { id: purchase.id, customerId, institutionId: customer?.institutionId, productId: purchase.productId, type: purchase.type, status: purchase.status },
    facts,
    args: { input: { transactionId: purchase.id } },
  };
}
