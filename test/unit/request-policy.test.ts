import { describe, expect, it } from 'vitest';
import { PURPOSE_HEADER } from '../../src/policy/request-policy.ts';
import type { Decision, Observer } from '../../src/policy/types.ts';
import { allow, deny, tablePolicy as requestPolicy } from '../support/decision-table.ts';
import { extensionsOf } from '../support/errors.ts';

// One request's decisions, kept for the decision stream, under a version set whose modules answer
// from a table: what the request layer does with decisions, whatever the policies say.

const path = (...keys: string[]) => keys.reduce<{ prev: unknown; key: string; typename: undefined } | undefined>((prev, key) => ({ prev, key, typename: undefined }), undefined) as never;
const customer = { type: 'Customer' as const, attributes: { id: '1' }, facts: {} };

describe('the decisions of one request', () => {
  it('are made once per action: the same permit and field effects each time, one decision kept', () => {
    const { policy, asked } = requestPolicy({ decisions: { 'customer.read': allow({ mask: { phone: { keepStart: 3, keepEnd: 4 } } }), 'account.read': allow() } });
    expect(policy.untouched([{ action: 'customer.read', fields: ['name'] }])).toBe(true);
    expect(policy.untouched([{ action: 'customer.read', fields: ['name'] }])).toBe(true);
    const permit = policy.permit('customer.read', 'Customer');
    expect(policy.permit('customer.read', 'Customer')).toBe(permit);
    expect(policy.fieldEffects('customer.read', 'Customer')).toBe(policy.fieldEffects('customer.read', 'Customer'));
    expect(policy.untouched([{ action: 'customer.read', fields: ['name'] }])).toBe(true);
    policy.permit('account.read', 'Account');
    expect(policy.untouched([{ action: 'account.read', fields: [] }])).toBe(true);
    expect(asked).toEqual(['customer.read', 'account.read']);
    expect(policy.stream().decisions.map((d) => d.action)).toEqual(['customer.read', 'account.read']);
  });

  it('are not untouched when a read is denied, or hides or masks a field read', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': allow({ hide: ['name'], mask: { phone: { keepStart: 3, keepEnd: 4 } } }), 'account.read': deny() } });
    expect(policy.untouched([{ action: 'customer.read', fields: ['email'] }])).toBe(true);
    expect(policy.untouched([{ action: 'customer.read', fields: ['name'] }])).toBe(false);
    expect(policy.untouched([{ action: 'customer.read', fields: ['phone'] }])).toBe(false);
    expect(policy.untouched([{ action: 'account.read', fields: [] }])).toBe(false);
  });

  it('deny with POLICY_DENIED naming the denying policy and its reasons, or NO_RULE_ALLOWS when no policy gives one', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': deny('licensing@3', 'UNLICENSED'), 'account.read': { allow: false, verdicts: [], obligations: {} } } });
    expect(extensionsOf(() => policy.permit('customer.read', 'Customer'))).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'licensing@3', reasons: [{ code: 'UNLICENSED' }] } });
    expect(extensionsOf(() => policy.permit('account.read', 'Account'))).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: null, reasons: [{ code: 'NO_RULE_ALLOWS' }] } });
  });

  it('show no field of a type whose read is denied (fail closed)', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': deny() } });
    const effects = policy.fieldEffects('customer.read', 'Customer')!;
    expect(extensionsOf(() => effects.apply('email', path('customer', 'email'), () => 'a@b.cn'))).toMatchObject({ code: 'POLICY_DENIED' });
  });

  it('leave fields alone when nothing hides or masks them', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': allow() } });
    expect(policy.fieldEffects('customer.read', 'Customer')).toBeNull();
  });

  it('hide and mask fields, report their paths, and give the reasons of the verdicts that obliged it once', async () => {
    const why = { code: 'PURPOSE_REQUIRED', message: 'needs a purpose', regulation: 'PIPL 6' };
    const decision: Decision = {
      allow: true,
      verdicts: [
        { policy: 'access@1', effect: 'allow', reasons: [{ code: 'ROLE_ALLOWS', message: 'allowed', regulation: null }] },
        { policy: 'privacy@1', effect: 'abstain', reasons: [why] },
      ],
      obligations: { hide: ['name'], mask: { phone: { keepStart: 3, keepEnd: 4 } } },
    };
    const { policy } = requestPolicy({ decisions: { 'customer.read': decision } });
    const effects = policy.fieldEffects('customer.read', 'Customer')!;
    expect(effects.apply('name', path('customers', '0', 'name'), () => 'Li Lei')).toBeNull();
    expect(effects.apply('name', path('customers', '1', 'name'), () => 'Han Meimei')).toBeNull();
    expect(effects.apply('phone', path('customers', '0', 'phone'), () => '13800001234')).toBe('138****1234');
    expect(await effects.apply('phone', path('customers', '1', 'phone'), () => Promise.resolve('13900005678'))).toBe('139****5678');
    expect(effects.apply('email', path('customers', '0', 'email'), () => 'a@b.cn')).toBe('a@b.cn');
    expect(policy.report()).toEqual({
      versions: ['access@1'],
      hidden: ['customers.0.name', 'customers.1.name'],
      masked: ['customers.0.phone', 'customers.1.phone'],
      reasons: [{ policy: 'privacy@1', ...why }],
    });
  });

  it('give the reasons of a verdict that only masked a field', () => {
    const why = { code: 'MINIMIZED', message: 'minimized', regulation: 'PIPL 6' };
    const decision: Decision = { allow: true, verdicts: [{ policy: 'privacy@1', effect: 'abstain', reasons: [why] }], obligations: { mask: { phone: { keepStart: 3, keepEnd: 4 } } } };
    const { policy } = requestPolicy({ decisions: { 'customer.read': decision } });
    expect(policy.fieldEffects('customer.read', 'Customer')!.apply('phone', path('customers', '0', 'phone'), () => '13800001234')).toBe('138****1234');
    expect(policy.report().reasons).toEqual([{ policy: 'privacy@1', ...why }]);
  });

  it('give a reason once when it obliged fields of several types, and once per policy giving it', () => {
    const why = { code: 'PURPOSE_REQUIRED', message: 'needs a purpose', regulation: null };
    const minimal = { code: 'MINIMAL_NECESSARY', message: 'not needed for it', regulation: null };
    const hiding = (field: string, ...policies: string[]): Decision => ({ ...allow({ hide: [field] }), verdicts: policies.map((p) => ({ policy: p, effect: 'abstain', reasons: [why, minimal] })) });
    const { policy } = requestPolicy({ decisions: { 'customer.read': hiding('name', 'privacy@1'), 'account.read': hiding('cardNumber', 'privacy@1', 'cards@2') } });
    policy.fieldEffects('customer.read', 'Customer')!.apply('name', path('customer', 'name'), () => 'Li Lei');
    policy.fieldEffects('account.read', 'Account')!.apply('cardNumber', path('account', 'cardNumber'), () => '6222');
    expect(policy.report().reasons).toEqual([
      { policy: 'privacy@1', ...why },
      { policy: 'privacy@1', ...minimal },
      { policy: 'cards@2', ...why },
      { policy: 'cards@2', ...minimal },
    ]);
  });

  it('give no reasons when the fields read are neither hidden nor masked', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': allow({ hide: ['name'] }) } });
    policy.fieldEffects('customer.read', 'Customer')!.apply('email', path('customer', 'email'), () => 'a@b.cn');
    expect(policy.report()).toMatchObject({ hidden: [], masked: [], reasons: [] });
  });

  it('refuse a purpose the caller may not declare with BAD_USER_INPUT naming the header and the policy', () => {
    const { policy } = requestPolicy({ decisions: { 'purpose.declare': deny('access@1', 'PURPOSE_NOT_ALLOWED') }, purpose: 'marketing' });
    expect(extensionsOf(() => policy.checkPurpose())).toMatchObject({ code: 'BAD_USER_INPUT', field: PURPOSE_HEADER, decision: { policy: 'access@1', reasons: [{ code: 'PURPOSE_NOT_ALLOWED' }] } });
    const declared = requestPolicy({ decisions: { 'purpose.declare': allow() }, purpose: 'marketing' }).policy;
    expect(extensionsOf(() => declared.checkPurpose())).toBeUndefined();
    const none = requestPolicy({ decisions: {} });
    none.policy.checkPurpose();
    expect(none.asked).toEqual([]);
  });

  it('give each decision in the stream the field paths of its action, and which of its fields it hid or masked', () => {
    const { policy } = requestPolicy({ decisions: { 'customer.read': allow({ hide: ['name'], mask: { name: { keepStart: 1, keepEnd: 0 }, phone: { keepStart: 3, keepEnd: 4 } } }), 'account.read': allow() } });
    policy.permit('customer.read', 'Customer');
    policy.permit('account.read', 'Account');
    const field = (action: string, path: string, leaf = true) => ({ action, path, type: 'T', field: path.split('.').at(-1)!, leaf });
    policy.describe(
      [field('customer.read', 'customers', false), field('customer.read', 'customers.name'), field('customer.read', 'customers.phone'), field('customer.read', 'customers.email'), field('account.read', 'customers.accounts.phone')],
      { name: 'Customers', hash: 'h' },
    );
    expect(policy.stream().decisions.map(({ action, fieldPaths, hidden, masked }) => ({ action, fieldPaths, hidden, masked }))).toEqual([
      { action: 'customer.read', fieldPaths: ['customers', 'customers.name', 'customers.phone', 'customers.email'], hidden: ['customers.name'], masked: ['customers.phone'] },
      { action: 'account.read', fieldPaths: ['customers.accounts.phone'], hidden: [], masked: [] },
    ]);
  });

  it('note a shadow version only where it decides otherwise: another outcome or other obligations', () => {
    const decisions = { 'customer.read': allow(), 'account.read': allow(), 'account.transfer': allow() };
    const shadow = { 'customer.read': allow(), 'account.read': allow({ hide: ['cardNumber'] }), 'account.transfer': deny() };
    const { policy } = requestPolicy({ decisions, shadow });
    policy.permit('customer.read', 'Customer');
    policy.permit('account.read', 'Account');
    policy.permit('account.transfer', 'Account');
    expect(policy.stream().decisions.map((d) => d.shadow)).toEqual([
      [],
      [{ policy: 'access@2', outcome: 'allow', obligations: { hide: ['cardNumber'] } }],
      [{ policy: 'access@2', outcome: 'deny', obligations: {} }],
    ]);
  });
});

describe('the record decisions of writes', () => {
  it('mark as failed only what a failed write decided since its mark, and its type-level decision', () => {
    const { policy } = requestPolicy({ decisions: { 'account.transfer': allow(), 'customer.read': allow(), 'account.read': allow() } });
    const permit = policy.permit('account.transfer', 'Account');
    policy.permit('customer.read', 'Customer');
    permit.records!.decide({ ...customer, type: 'Account', id: '1' });
    const since = policy.mark();
    permit.records!.decide({ ...customer, type: 'Account', id: '2' });
    // a read decided while the write ran is not the write's
    policy.permit('account.read', 'Account');
    policy.failedSince(since, 'account.transfer');
    const failed = Object.fromEntries(policy.stream().decisions.map((d) => [d.input.resource?.id ?? d.action, d.failed]));
    expect(failed).toEqual({ 'account.transfer': true, 'customer.read': false, 'account.read': false, 1: false, 2: true });
  });

  it('hand the transaction hook the record decisions of its action not yet written, once', async () => {
    const seen: string[][] = [];
    const observer: Observer = { transaction: async (_tx, stream) => void seen.push(stream.decisions.map((d) => `${d.action}#${d.input.resource?.id ?? '-'}`)) };
    // an observer without a transaction hook beside it changes nothing
    const { policy } = requestPolicy({ decisions: { 'account.transfer': allow(), 'customer.read': allow() }, observers: [{}, observer] });
    const permit = policy.permit('account.transfer', 'Account');
    policy.permit('customer.read', 'Customer').records!.decide({ ...customer, id: '9' });
    permit.records!.decide({ ...customer, type: 'Account', id: '1' });
    await permit.records!.observe({} as never);
    await permit.records!.observe({} as never);
    expect(seen).toEqual([['account.transfer#1']]);
    expect(policy.stream().decisions.filter((d) => d.inTransaction).map((d) => d.input.resource?.id)).toEqual(['1']);
  });

  it('answer a record outside the permit\'s rows as not found, and a denied one with POLICY_DENIED', () => {
    const rows = { op: 'eq' as const, field: 'customerId', value: '7' };
    const { policy } = requestPolicy({ decisions: { 'account.transfer': allow({ rows }), 'account.transfer#2': deny('aml@2', 'SUSPICIOUS') } });
    const permit = policy.permit('account.transfer', 'Account');
    expect(extensionsOf(() => permit.records!.decide({ ...customer, type: 'Account', id: '1', attributes: { customerId: '8' } }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(permit.records!.decide({ ...customer, type: 'Account', id: '1', attributes: { customerId: '7' } })).toEqual({ rows });
    expect(extensionsOf(() => permit.records!.decide({ ...customer, type: 'Account', id: '2', attributes: { customerId: '7' } }))).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'aml@2' } });
  });
});
