import { loadAccountsOf, loadAccount } from '../src/data/accounts.ts';
import { ageBand, listCustomers, loadCustomer, loadRiskAssessments, loadRiskProfile } from '../src/data/customers.ts';
import { loadAcknowledgements } from '../src/data/disclosures.ts';
import { customerTransactions } from '../src/data/transactions.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { submitRiskAssessment } from '../src/money/risk-assessment.ts';
import { permitOf } from '../src/policy/gate.ts';
import { TOLERANCES } from '../src/policy/vocabulary.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, pageArgs, registerNode } from './relay.ts';
import { AccountRef, AcknowledgementRef, CustomerConnection, CustomerRef, RiskProfileRef, TransactionConnection } from './refs.ts';

export const RiskTolerance = builder.enumType('RiskTolerance', {
  description: 'Investor risk-tolerance classes (适当性办法), C1 most conservative',
  values: TOLERANCES,
});
export const InvestorType = builder.enumType('InvestorType', { values: ['ORDINARY', 'PROFESSIONAL'] as const });

CustomerRef.implement({
  action: 'customer.read',
  resource: 'Customer',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (c) => toGlobalId('Customer', c.id) }),
    name: t.exposeString('name', { nullable: true, personal: 'name', description: 'Personal information: masked or hidden by the privacy policy' }),
    idNumber: t.exposeString('idNumber', { nullable: true, personal: 'identityNumber', description: 'Resident ID number (sensitive): masked by default' }),
    phone: t.exposeString('phone', { nullable: true, personal: 'phone' }),
    email: t.exposeString('email', { nullable: true, personal: 'email' }),
    birthDate: t.field({ type: 'Date', nullable: true, personal: 'birthDate', resolve: (c) => c.birthDate }),
    ageBand: t.string({
      nullable: true,
      personal: 'ageBand',
      description: 'The age as a band ("30-39"): shown where the birth date is withheld, so no field undoes the identity number\'s mask',
      resolve: (c, _args, { now, timeZone }) => ageBand(c.birthDate, now, timeZone),
    }),
    investorType: t.field({ type: InvestorType, resolve: (c) => c.investorType }),
    riskProfile: t.field({
      type: RiskProfileRef,
      nullable: true,
      description: 'The latest risk assessment, null if none',
      resolve: (c, args, { sql, loaders }) => loadRiskProfile(sql, loaders, permitOf(args), c.id),
    }),
    accounts: t.field({
      type: [AccountRef],
      resolve: (c, args, { sql, loaders }) => loadAccountsOf(sql, loaders, permitOf(args), c.id),
    }),
    transactions: t.field({
      type: TransactionConnection,
      args: pageArgs,
      resolve: (c, args, { sql, loaders }) => customerTransactions(sql, loaders, permitOf(args), c.id, args),
    }),
    acknowledgements: t.field({
      type: [AcknowledgementRef],
      resolve: (c, args, { sql, loaders }) => loadAcknowledgements(sql, loaders, permitOf(args), c.id),
    }),
  }),
});

RiskProfileRef.implement({
  action: 'riskProfile.read',
  resource: 'RiskProfile',
  records: { load: ({ sql }, permit, keys) => loadRiskAssessments(sql, permit, keys) },
  fields: (t) => ({
    tolerance: t.field({ type: RiskTolerance, nullable: true, personal: 'riskProfile', resolve: (r) => r.tolerance }),
    assessedAt: t.field({ type: 'DateTime', nullable: true, personal: 'riskProfile', resolve: (r) => r.assessedAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, personal: 'riskProfile', resolve: (r) => r.expiresAt }),
    expired: t.boolean({ nullable: true, personal: 'riskProfile', resolve: (r, _args, { now }) => r.expiresAt <= now }),
  }),
});

AccountRef.implement({
  action: 'account.read',
  resource: 'Account',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (a) => toGlobalId('Account', a.id) }),
    currency: t.exposeString('currency'),
    balance: t.field({ type: 'Decimal', nullable: true, personal: 'balance', resolve: (a) => a.balance }),
    cardNumber: t.exposeString('cardNumber', { nullable: true, personal: 'cardNumber', description: 'Bank card number: masked by default' }),
  }),
});

const CustomerFilter = builder.inputType('CustomerFilter', {
  fields: (t) => ({
    riskTolerance: t.field({ type: RiskTolerance }),
    investorType: t.field({ type: InvestorType }),
  }),
});

registerNode('Customer', { action: 'customer.read', load: ({ sql, loaders }, permit, key) => loadCustomer(sql, loaders, permit, key) });
registerNode('Account', { action: 'account.read', load: ({ sql, loaders }, permit, key) => loadAccount(sql, loaders, permit, key) });

builder.queryFields((t) => ({
  me: t.field({
    type: CustomerRef,
    nullable: true,
    description: 'The customer the caller is (customer tokens); null for staff',
    resolve: (_root, args, { sql, loaders, principal }) =>
      principal.customerId ? loadCustomer(sql, loaders, permitOf(args), principal.customerId) : null,
  }),
  customer: t.field({
    type: CustomerRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { sql, loaders }) => existing(loadCustomer(sql, loaders, permitOf(args), keyOf(args.id, 'Customer')), 'Customer'),
  }),
  customers: t.field({
    type: CustomerConnection,
    args: { ...pageArgs, filter: t.arg({ type: CustomerFilter }) },
    resolve: (_root, args, { sql }) => listCustomers(sql, permitOf(args), args),
  }),
}));

const RiskAssessmentInput = builder.inputType('RiskAssessmentInput', {
  fields: (t) => ({
    answers: t.intList({ required: true, description: 'One score per questionnaire item, in order (policies/risk-questionnaire)' }),
  }),
});

builder.mutationField('submitRiskAssessment', (t) =>
  t.field({
    type: RiskProfileRef,
    action: 'customer.assessRisk',
    resource: 'Customer',
    description: "Scores the caller's answers to the active risk questionnaire and stores the new profile",
    args: { input: t.arg({ type: RiskAssessmentInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now, policyData, policy }) =>
      submitRiskAssessment(sql, permitOf(args), {
        customerKey: principal.customerId,
        answers: input.answers,
        questionnaire: policyData.riskQuestionnaire,
        // the version the questionnaire above came from: the request's version set has exactly one
        questionnaireVersion: policy.versions.policies.find((p) => p.id.startsWith('risk-questionnaire@'))!,
        now,
      }),
  }),
);
