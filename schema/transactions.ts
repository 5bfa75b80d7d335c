import { loadCustomer } from '../src/data/customers.ts';
import { loadProduct } from '../src/data/products.ts';
import { listTransactions, loadAlertsOf, loadTransaction } from '../src/data/transactions.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { permitOf } from '../src/policy/gate.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode } from './relay.ts';
import { CustomerRef, ProductRef, RiskAlertRef, TransactionConnection, TransactionRef } from './refs.ts';

export const TransactionType = builder.enumType('TransactionType', {
  description: 'DEPOSIT and REVERSAL extend the contract: money coming in, and corrections',
  values: ['PURCHASE', 'REDEMPTION', 'TRANSFER', 'DEPOSIT', 'REVERSAL'] as const,
});
export const TransactionStatus = builder.enumType('TransactionStatus', {
  values: ['PENDING', 'COMPLETED', 'REJECTED', 'REVERSED'] as const,
});

TransactionRef.implement({
  action: 'transaction.read',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (x) => toGlobalId('Transaction', x.id) }),
    type: t.field({ type: TransactionType, resolve: (x) => x.type as never }),
    status: t.field({ type: TransactionStatus, resolve: (x) => x.status as never }),
    amount: t.field({ type: 'Decimal', resolve: (x) => x.amount }),
    currency: t.exposeString('currency'),
    customer: t.field({
      type: CustomerRef,
      action: 'customer.read',
      resolve: (x, args, { sql, loaders }) => existing(loadCustomer(sql, loaders, permitOf(args), x.customerId), 'Customer'),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      action: 'product.read',
      resolve: (x, args, { sql, loaders }) => (x.productId ? loadProduct(sql, loaders, permitOf(args), x.productId) : null),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (x) => x.createdAt }),
    riskAlerts: t.field({
      type: [RiskAlertRef],
      action: 'riskAlert.read',
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
    action: 'transaction.read',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { sql, loaders }) => existing(loadTransaction(sql, loaders, permitOf(args), keyOf(args.id, 'Transaction')), 'Transaction'),
  }),
  transactions: t.field({
    type: TransactionConnection,
    action: 'transaction.read',
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
