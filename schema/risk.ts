import { loadCustomer } from '../src/data/customers.ts';
import { listRiskAlerts, loadRiskAlert, loadTransaction } from '../src/data/transactions.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { permitOf } from '../src/policy/gate.ts';
import { ALERT_KINDS } from '../src/policy/vocabulary.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode } from './relay.ts';
import { CustomerRef, RiskAlertConnection, RiskAlertRef, TransactionRef } from './refs.ts';

export const RiskAlertKind = builder.enumType('RiskAlertKind', { values: ALERT_KINDS });
export const RiskAlertStatus = builder.enumType('RiskAlertStatus', {
  values: ['OPEN', 'UNDER_REVIEW', 'CLOSED', 'REPORTED'] as const,
});

RiskAlertRef.implement({
  action: 'riskAlert.read',
  resource: 'RiskAlert',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (r) => toGlobalId('RiskAlert', r.id) }),
    kind: t.field({ type: RiskAlertKind, resolve: (r) => r.kind as never }),
    status: t.field({ type: RiskAlertStatus, resolve: (r) => r.status as never }),
    customer: t.field({
      type: CustomerRef,
      resolve: (r, args, { sql, loaders }) => existing(loadCustomer(sql, loaders, permitOf(args), r.customerId), 'Customer'),
    }),
    transaction: t.field({
      type: TransactionRef,
      nullable: true,
      resolve: (r, args, { sql, loaders }) => (r.transactionId ? loadTransaction(sql, loaders, permitOf(args), r.transactionId) : null),
    }),
    rule: t.exposeString('rule', { nullable: true, description: 'The rule that raised it, e.g. PBOC large-value code "0503"' }),
    reason: t.exposeString('reason'),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
  }),
});

const RiskAlertFilter = builder.inputType('RiskAlertFilter', {
  fields: (t) => ({
    kind: t.field({ type: RiskAlertKind }),
    status: t.field({ type: RiskAlertStatus }),
    customerId: t.id(),
  }),
});

registerNode('RiskAlert', { action: 'riskAlert.read', load: ({ sql, loaders }, permit, key) => loadRiskAlert(sql, loaders, permit, key) });

builder.queryField('riskAlerts', (t) =>
  t.field({
    type: RiskAlertConnection,
    description: 'Newest first',
    args: { ...pageArgs, filter: t.arg({ type: RiskAlertFilter }) },
    resolve: (_root, args, { sql }) => {
      const { customerId, ...filter } = args.filter ?? {};
      return listRiskAlerts(sql, permitOf(args), args, {
        ...filter,
        customerId: customerId ? keyOf(customerId, 'Customer', 'filter.customerId') : undefined,
      });
    },
  }),
);
