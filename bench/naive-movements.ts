// The baseline the benchmark compares with: the same GraphQL mutation and HTTP path, but a transfer
// with no idempotency, no row locks, no database transaction around its checks and no AML check:
// read both accounts, check the balance as read, write the ledger transaction and its postings in
// one statement. Under races the balance CHECK (or a deadlock between the trigger's row updates)
// can still refuse a write; those are counted as failures, never as money created or lost.
// Loaded in place of src/money/movements.ts by naive-hooks.mjs; purchase and redeem are the real ones.

import type { Tx } from '../src/db/database.ts';
import type { TransactionRow } from '../src/data/transactions.ts';
import { permitted } from '../src/data/query.ts';
import { badInput, clientError } from '../src/errors.ts';
import { toCents } from '../src/money/amount.ts';
import { postTransaction } from '../src/money/ledger.ts';
import type { MovementContext, TransferInput } from '../src/money/movements.ts';

export { purchase, redeem } from '../src/money/movements.ts';
export type { MovementContext, PurchaseInput, RedeemInput, TransferInput } from '../src/money/movements.ts';

export async function transfer(ctx: MovementContext, input: TransferInput): Promise<TransactionRow> {
  const cents = toCents(input.amount);
  if (cents <= 0n) throw badInput('input.amount', 'must be greater than 0');
  const rows = await ctx.sql<{ id: string; kind: string; customerId: string | null; currency: string; balance: string; permitted: boolean }[]>`
    select a.id, a.kind, a.customer_id, a.currency, a.balance, coalesce(${permitted(ctx.sql, ctx.permit)}, false) as permitted
      from accounts a where a.id = any(${[input.fromAccountKey, input.toAccountKey]}::bigint[])`;
  const from = rows.find((a) => a.id === input.fromAccountKey && a.permitted && a.kind === 'CUSTOMER');
  const to = rows.find((a) => a.id === input.toAccountKey && a.kind === 'CUSTOMER');
  if (!from || !to || from.id === to.id) throw clientError('NOT_FOUND', 'Account not found');
  if (toCents(from.balance) < cents) throw clientError('INSUFFICIENT_FUNDS');
  try {
    // one statement is atomic on its own; no explicit transaction, no locks taken first
    return await postTransaction(ctx.sql as unknown as Tx, {
      type: 'TRANSFER',
      cents,
      currency: from.currency,
      customerId: from.customerId!,
      productId: null,
      createdAt: ctx.now,
      postings: [
        { accountId: from.id, cents: -cents },
        { accountId: to.id, cents },
      ],
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23514') throw clientError('INSUFFICIENT_FUNDS');
    throw error;
  }
}
