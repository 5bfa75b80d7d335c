import { loadAccountsOf, loadAccount } from '../src/data/accounts.ts';
import { ageBand, listCustomers, loadCustomer, loadRiskAssessments, loadRiskProfile } from '../src/data/customers.ts';
import { loadAcknowledgements } from '../src/data/disclosures.ts';
import { confirmQualifiedInvestor, loadQualifiedInvestor, qualifiedInvestorsByKey, type QualifiedInvestorRow } from '../src/data/qualified-investors.ts';
import { customerTransactions } from '../src/data/transactions.ts';
import { clientError } from '../src/errors.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { canonicalAmount } from '../src/money/amount.ts';
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
export const QualificationBasis = builder.enumType('QualificationBasis', {
  description: 'What the evidence of a qualified investor shows: financial assets held, or the average annual income of the last three years',
  values: ['FINANCIAL_ASSETS', 'AVERAGE_INCOME'] as const,
});

const QualifiedInvestorRef = builder.objectRef<QualifiedInvestorRow>('QualifiedInvestor');

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
    qualifiedInvestor: t.field({
      type: QualifiedInvestorRef,
      nullable: true,
      description: 'The current qualified-investor confirmation (private products need one), null if none holds now',
      resolve: (c, args, { sql, loaders, now }) => loadQualifiedInvestor(sql, loaders, permitOf(args), c.id, now),
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

QualifiedInvestorRef.implement({
  action: 'qualifiedInvestor.read',
  resource: 'QualifiedInvestor',
  description: 'A qualified-investor confirmation (合格投资者): the evidence met the suitability policy, as the seller’s staff confirmed',
  records: { load: ({ sql }, permit, keys) => qualifiedInvestorsByKey(sql, permit, keys) },
  fields: (t) => ({
    basis: t.field({ type: QualificationBasis, nullable: true, personal: 'riskProfile', resolve: (q) => q.basis as never }),
    confirmedAt: t.field({ type: 'DateTime', nullable: true, personal: 'riskProfile', resolve: (q) => q.confirmedAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, personal: 'riskProfile', resolve: (q) => q.expiresAt }),
    confirmedBy: t.exposeString('confirmedBy', { description: 'The token subject of the staff member who confirmed it' }),
    policy: t.exposeString('policy', { description: 'The suitability version that judged the evidence, e.g. suitability@2' }),
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

const ConfirmQualifiedInvestorInput = builder.inputType('ConfirmQualifiedInvestorInput', {
  fields: (t) => ({
    customerId: t.id({ required: true }),
    basis: t.field({ type: QualificationBasis, required: true }),
    amount: t.field({ type: 'Decimal', required: true, description: 'CNY, as the evidence shows: the financial assets, or the 3-year average annual income' }),
    evidence: t.string({ required: true, description: 'The documents seen (e.g. certificate numbers), 1–500 characters; not shown by the API' }),
    validUntil: t.field({ type: 'Date', required: true, description: 'The last business day it holds; the suitability policy caps how far ahead' }),
  }),
});

builder.mutationField('confirmQualifiedInvestor', (t) =>
  t.field({
    type: QualifiedInvestorRef,
    action: 'customer.confirmQualifiedInvestor',
    resource: 'Customer',
    description:
      'Records that the evidence makes a customer a qualified investor, who may then see and buy private products. Staff only (the access policy says who); the suitability policy judges the evidence',
    args: { input: t.arg({ type: ConfirmQualifiedInvestorInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now, timeZone, policy }) => {
      // the version that judges the evidence is recorded with it: without one, nothing judges it
      const suitability = policy.versions.policies.find((p) => p.id.startsWith('suitability@'));
      if (!suitability) throw clientError('POLICY_DENIED', 'No suitability policy is in force to judge the evidence');
      return confirmQualifiedInvestor(sql, permitOf(args), {
        customerKey: keyOf(input.customerId, 'Customer', 'input.customerId'),
        basis: input.basis,
        amount: canonicalAmount(input.amount),
        evidence: input.evidence,
        validUntil: input.validUntil as string,
        confirmedBy: principal.id,
        policy: suitability,
        now,
        timeZone,
      });
    },
  }),
);
