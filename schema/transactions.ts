import { loadCustomer } from '../src/data/customers.ts';
import { loadProduct } from '../src/data/products.ts';
import { listTransactions, loadAlertsOf, loadCoolingOffOf, loadTransaction, transactionsByKey, type CoolingOffRow, type TransactionRow } from '../src/data/transactions.ts';
import { badInput } from '../src/errors.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import type { GatewayContext } from '../src/context.ts';
import { cancelPurchase, recordReturnCall } from '../src/money/cooling-off.ts';
import { purchase, redeem, transfer, type MovementContext } from '../src/money/movements.ts';
import { permitOf } from '../src/policy/gate.ts';
import type { Permit } from '../src/policy/permit.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode, toOne } from './relay.ts';
import { CustomerRef, ProductRef, RiskAlertRef, TransactionConnection, TransactionRef } from './refs.ts';

export const TransactionType = builder.enumType('TransactionType', {
  description: 'DEPOSIT and REVERSAL extend the contract: money coming in, and corrections',
  values: ['PURCHASE', 'REDEMPTION', 'TRANSFER', 'DEPOSIT', 'REVERSAL'] as const,
});
export const TransactionStatus = builder.enumType('TransactionStatus', {
  values: ['PENDING', 'COMPLETED', 'REJECTED', 'REVERSED'] as const,
});

const CoolingOffPeriodRef = builder.objectRef<CoolingOffRow>('CoolingOffPeriod').implement({
  description: 'The cooling-off period (投资冷静期) of a purchase of a private product: PENDING until it ends, cancellable within it',
  action: 'transaction.read',
  resource: 'Transaction',
  records: { key: (period) => period.id },
  fields: (t) => ({
    startsAt: t.field({ type: 'DateTime', resolve: (c) => c.startsAt }),
    endsAt: t.field({ type: 'DateTime', resolve: (c) => c.endsAt }),
    returnCallRequired: t.exposeBoolean('returnCallRequired', { description: 'The purchase completes only after a return call (回访) made once the period is over' }),
    returnCallAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.returnCallAt }),
  }),
});

TransactionRef.implement({
  action: 'transaction.read',
  resource: 'Transaction',
  records: { load: ({ sql }, permit, keys) => transactionsByKey(sql, permit, keys) },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (x) => toGlobalId('Transaction', x.id) }),
    type: t.expose('type', { type: TransactionType }),
    status: t.expose('status', { type: TransactionStatus }),
    amount: t.expose('amount', { type: 'Decimal', nullable: true, personal: 'transactionAmount' }),
    currency: t.exposeString('currency'),
    customer: t.field({
      type: CustomerRef,
      ...toOne((x: TransactionRow) => x.customerId, ({ sql, loaders }, permit, key) => loadCustomer(sql, loaders, permit, key), 'Customer'),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      ...toOne((x: TransactionRow) => x.productId, ({ sql, loaders }, permit, key) => loadProduct(sql, loaders, permit, key)),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    coolingOff: t.field({
      type: CoolingOffPeriodRef,
      nullable: true,
      description: "A purchase's cooling-off period, if it has one",
      resolve: (x, args, { sql, loaders }) => (x.type === 'PURCHASE' ? loadCoolingOffOf(sql, loaders, permitOf(args), x.id) : null),
    }),
    riskAlerts: t.field({
      type: [RiskAlertRef],
      resolve: (x, args, { sql, loaders }) => loadAlertsOf(sql, loaders, permitOf(args), x.id),
    }),
  }),
});

const TransactionFilter = builder.inputType('TransactionFilter', {
  fields: (t) => ({
    customerId: t.id(),
    type: t.field({ type: TransactionType }),
    status: t.field({ type: TransactionStatus }),
    from: t.field({ type: 'DateTime', description: 'Created at or after' }),
    to: t.field({ type: 'DateTime', description: 'Created before' }),
  }),
});

registerNode('Transaction', { action: 'transaction.read', load: ({ sql, loaders }, permit, key) => loadTransaction(sql, loaders, permit, key) });

builder.queryFields((t) => ({
  transaction: t.field({
    type: TransactionRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { sql, loaders }) => existing(loadTransaction(sql, loaders, permitOf(args), keyOf(args.id, 'Transaction')), 'Transaction'),
  }),
  transactions: t.field({
    type: TransactionConnection,
    description: 'Newest first',
    args: { ...pageArgs, filter: t.arg({ type: TransactionFilter }) },
    resolve: (_root, args, { sql }) => {
      const { customerId, ...filter } = args.filter ?? {};
      return listTransactions(sql, permitOf(args), args, {
        ...filter,
        customerId: customerId ? keyOf(customerId, 'Customer', 'filter.customerId') : undefined,
      });
    },
  }),
}));

const PurchaseInput = builder.inputType('PurchaseInput', {
  fields: (t) => ({
    productId: t.id({ required: true }),
    accountId: t.id({ required: true, description: 'The customer account the money comes from' }),
    amount: t.field({ type: 'Decimal', required: true }),
    idempotencyKey: t.string({ required: true, description: '1–255 printable characters; a retry with the same key and input returns the same transaction' }),
    confirmRiskMismatch: t.boolean({ description: 'The customer confirms the special risk warning for a product above their tolerance' }),
    confirmedWarningSha256: t.string({
      description:
        'The sha256 (hex, of its UTF-8 bytes) of the CONFIRM_RISK_MISMATCH message the customer was shown and confirmed; when it is not the warning in force, the purchase is refused with the current one',
    }),
  }),
});

const CancelPurchaseInput = builder.inputType('CancelPurchaseInput', {
  fields: (t) => ({
    transactionId: t.id({ required: true, description: 'The purchase, PENDING in its cooling-off period' }),
    idempotencyKey: t.string({ required: true, description: 'A retry with the same key returns the same refund' }),
  }),
});

const RecordReturnCallInput = builder.inputType('RecordReturnCallInput', {
  fields: (t) => ({
    transactionId: t.id({ required: true, description: 'The purchase whose investor confirmed it on the return call (回访)' }),
  }),
});

const RedeemInput = builder.inputType('RedeemInput', {
  fields: (t) => ({
    productId: t.id({ required: true }),
    accountId: t.id({ required: true, description: 'The customer account the money goes to' }),
    amount: t.field({ type: 'Decimal', required: true }),
    idempotencyKey: t.string({ required: true }),
  }),
});

const TransferInput = builder.inputType('TransferInput', {
  fields: (t) => ({
    fromAccountId: t.id({ required: true }),
    toAccountId: t.id({ required: true }),
    amount: t.field({ type: 'Decimal', required: true }),
    idempotencyKey: t.string({ required: true }),
  }),
});

builder.mutationFields((t) => ({
  purchaseProduct: t.field({
    type: TransactionRef,
    action: 'product.purchase',
    resource: 'Account',
    args: { input: t.arg({ type: PurchaseInput, required: true }) },
    resolve: (_root, { input, ...args }, context) =>
      purchase(movement(context, permitOf(args)), {
        ...productMovementKeys(input),
        amount: input.amount,
        idempotencyKey: input.idempotencyKey,
        confirmRiskMismatch: input.confirmRiskMismatch ?? false,
        confirmedWarningSha256: sha256Input(input.confirmedWarningSha256),
      }),
  }),
  redeemProduct: t.field({
    type: TransactionRef,
    action: 'product.redeem',
    resource: 'Account',
    args: { input: t.arg({ type: RedeemInput, required: true }) },
    resolve: (_root, { input, ...args }, context) =>
      redeem(movement(context, permitOf(args)), {
        ...productMovementKeys(input),
        amount: input.amount,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
  transfer: t.field({
    type: TransactionRef,
    action: 'account.transfer',
    resource: 'Account',
    args: { input: t.arg({ type: TransferInput, required: true }) },
    resolve: (_root, { input, ...args }, context) =>
      transfer(movement(context, permitOf(args)), {
        fromAccountKey: keyOf(input.fromAccountId, 'Account', 'input.fromAccountId'),
        toAccountKey: keyOf(input.toAccountId, 'Account', 'input.toAccountId'),
        amount: input.amount,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
  cancelPurchase: t.field({
    type: TransactionRef,
    description: 'Cancels a purchase in its cooling-off period for a full refund; answers with the refund (a REVERSAL)',
    action: 'transaction.cancel',
    resource: 'Transaction',
    args: { input: t.arg({ type: CancelPurchaseInput, required: true }) },
    resolve: (_root, { input, ...args }, context) =>
      cancelPurchase(movement(context, permitOf(args)), {
        transactionKey: keyOf(input.transactionId, 'Transaction', 'input.transactionId'),
        idempotencyKey: input.idempotencyKey,
      }),
  }),
  recordReturnCall: t.field({
    type: TransactionRef,
    description: 'Records the return call (回访) that confirms a private fund purchase after its cooling-off period; the purchase completes',
    action: 'transaction.recordReturnCall',
    resource: 'Transaction',
    args: { input: t.arg({ type: RecordReturnCallInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now }) =>
      recordReturnCall({ sql, principalId: principal.id, permit: permitOf(args), now }, keyOf(input.transactionId, 'Transaction', 'input.transactionId')),
  }),
}));

/** The keys a purchase or redemption names, each refused with its own field when malformed. */
function productMovementKeys(input: { productId: string; accountId: string }) {
  return { productKey: keyOf(input.productId, 'Product', 'input.productId'), accountKey: keyOf(input.accountId, 'Account', 'input.accountId') };
}

/** What a money movement needs from the request: the permit says which records it may move money for. */
function movement(context: GatewayContext, permit: Permit): MovementContext {
  return {
    sql: context.sql,
    principalId: context.principal.id,
    permit,
    now: context.now,
    coolingOff: () => context.policyData.coolingOff,
    policies: context.policy.versions.policies,
  };
}

/** A sha256 the client echoes: 64 hex digits, compared in lower case. */
function sha256Input(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw badInput('input.confirmedWarningSha256', 'must be 64 hexadecimal digits');
  return value.toLowerCase();
}
