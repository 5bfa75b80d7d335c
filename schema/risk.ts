import { loadCustomer } from '../src/data/customers.ts';
import { listRiskAlerts, loadReviewsOf, loadRiskAlert, loadTransaction, type RiskAlertReviewRow } from '../src/data/transactions.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { reviewRiskAlert } from '../src/money/alert-review.ts';
import { permitOf } from '../src/policy/gate.ts';
import { ALERT_KINDS, ALERT_STATUSES } from '../src/policy/vocabulary.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode } from './relay.ts';
import { CustomerRef, RiskAlertConnection, RiskAlertRef, TransactionRef } from './refs.ts';

export const RiskAlertKind = builder.enumType('RiskAlertKind', { values: ALERT_KINDS });
export const RiskAlertStatus = builder.enumType('RiskAlertStatus', { values: ALERT_STATUSES });
export const RiskAlertSide = builder.enumType('RiskAlertSide', {
  description: "The side of the customer's business day an AML alert is about: money coming into their accounts, or going out",
  values: ['INCOMING', 'OUTGOING'] as const,
});

const RiskAlertReviewRef = builder.objectRef<RiskAlertReviewRow>('RiskAlertReview').implement({
  description: 'One step of a risk alert’s review, as recorded (append-only)',
  action: 'riskAlert.read',
  resource: 'RiskAlert',
  // a review step is part of its alert: the decision stream notes the alert
  records: { key: (review) => review.alertId },
  fields: (t) => ({
    fromStatus: t.field({ type: RiskAlertStatus, resolve: (v) => v.fromStatus as never }),
    toStatus: t.field({ type: RiskAlertStatus, resolve: (v) => v.toStatus as never }),
    reviewer: t.exposeString('reviewer', { description: 'The token subject of the compliance officer' }),
    reason: t.exposeString('reason'),
    reviewedAt: t.field({ type: 'DateTime', resolve: (v) => v.reviewedAt }),
  }),
});

RiskAlertRef.implement({
  action: 'riskAlert.read',
  resource: 'RiskAlert',
  records: { load: ({ sql, loaders }, permit, keys) => Promise.all(keys.map((key) => loadRiskAlert(sql, loaders, permit, key))) },
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
    side: t.field({ type: RiskAlertSide, nullable: true, resolve: (r) => r.side as never }),
    reason: t.exposeString('reason'),
    dueAt: t.field({ type: 'DateTime', nullable: true, description: 'When it must be reported (or reviewed) by', resolve: (r) => r.dueAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    reviews: t.field({
      type: [RiskAlertReviewRef],
      description: 'Its review so far, oldest first',
      resolve: (r, args, { sql, loaders }) => loadReviewsOf(sql, loaders, permitOf(args), r.id),
    }),
  }),
});

const RiskAlertFilter = builder.inputType('RiskAlertFilter', {
  fields: (t) => ({
    kind: t.field({ type: RiskAlertKind }),
    status: t.field({ type: RiskAlertStatus }),
    customerId: t.id(),
    dueBefore: t.field({ type: 'DateTime', description: 'Due strictly before this instant' }),
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

const ReviewRiskAlertInput = builder.inputType('ReviewRiskAlertInput', {
  fields: (t) => ({
    alertId: t.id({ required: true }),
    status: t.field({ type: RiskAlertStatus, required: true, description: 'OPEN → UNDER_REVIEW → CLOSED (excluded) or REPORTED' }),
    reason: t.string({ required: true, description: 'What was checked, and why the alert is excluded or reported (1–2000 characters)' }),
  }),
});

builder.mutationField('reviewRiskAlert', (t) =>
  t.field({
    type: RiskAlertRef,
    description: 'Moves a risk alert one step of its review, recording the reviewer, the reason and the time',
    action: 'riskAlert.review',
    resource: 'RiskAlert',
    args: { input: t.arg({ type: ReviewRiskAlertInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now }) =>
      reviewRiskAlert(
        { sql, principalId: principal.id, permit: permitOf(args), now },
        { alertKey: keyOf(input.alertId, 'RiskAlert', 'input.alertId'), status: input.status, reason: input.reason },
      ),
  }),
);
