import { beforeEach, describe, expect, it, vi } from 'vitest';
import { matches } from '../../src/policy/condition.ts';
import { combine, decide, type ActivePolicy } from '../../src/policy/engine.ts';
import { applyMask } from '../../src/policy/masks.ts';
import type { ModuleDecision, PolicyRequest } from '../../src/policy/types.ts';

const request: PolicyRequest = {
  principal: { id: 'u1', roles: ['customer'], customerId: '7', scopes: [] },
  purpose: null,
  action: 'customer.read',
  now: new Date('2026-11-29T02:00:00Z'),
};
const reason = (code: string) => ({ code, message: code, regulation: null });
const policy = (id: string, decision: ModuleDecision | (() => ModuleDecision)): ActivePolicy => ({
  id,
  compiled: { decide: typeof decision === 'function' ? decision : () => decision },
});
const allow = (obligations = {}): ModuleDecision => ({ effect: 'allow', reasons: [reason('OK')], obligations });
const deny = (code = 'NO', obligations = {}): ModuleDecision => ({ effect: 'deny', reasons: [reason(code)], obligations });
const abstain: ModuleDecision = { effect: 'abstain', reasons: [], obligations: {} };

describe('combining decisions', () => {
  // a failing module is logged for operators; keep the test output quiet
  beforeEach(() => void vi.spyOn(console, 'error').mockImplementation(() => {}));

  it('allows when a module allows and none denies', () => {
    const decision = decide([policy('access@1', allow()), policy('suitability@1', abstain)], request);
    expect(decision.allow).toBe(true);
    expect(decision.verdicts.map((v) => v.policy)).toEqual(['access@1']);
  });

  it('lets a deny override any number of allows', () => {
    const decision = decide([policy('access@1', allow()), policy('suitability@2', deny('RISK_LEVEL_ABOVE_TOLERANCE')), policy('x@1', allow())], request);
    expect(decision.allow).toBe(false);
    expect(decision.verdicts.find((v) => v.effect === 'deny')).toMatchObject({ policy: 'suitability@2', reasons: [{ code: 'RISK_LEVEL_ABOVE_TOLERANCE' }] });
  });

  it('denies when every module abstains, or there are none', () => {
    expect(decide([policy('a@1', abstain)], request).allow).toBe(false);
    expect(decide([], request).allow).toBe(false);
  });

  it('denies when a module throws, naming it', () => {
    const decision = decide(
      [
        policy('access@1', allow()),
        policy('broken@3', () => {
          throw new Error('boom');
        }),
      ],
      request,
    );
    expect(decision.allow).toBe(false);
    expect(decision.verdicts.find((v) => v.effect === 'deny')).toMatchObject({ policy: 'broken@3', reasons: [{ code: 'POLICY_ERROR' }] });
    // what went wrong inside is for the operator's log, not the caller
    expect(JSON.stringify(decision)).not.toContain('boom');
    expect(vi.mocked(console.error).mock.calls.map((call) => [String(call[0]).includes('broken@3'), (call[1] as Error).message])).toEqual([[true, 'boom']]);
  });

  it('denies when a module returns garbage instead of a decision', () => {
    const garbage = policy('rego@1', () => ({ allow: 'yes' }) as unknown as ModuleDecision);
    expect(decide([policy('access@1', allow()), garbage], request).allow).toBe(false);
    expect(decide([policy('access@1', allow()), policy('nothing@1', () => undefined as unknown as ModuleDecision)], request).allow).toBe(false);
  });

  it('merges the obligations of every allowing module', () => {
    const decision = combine([
      { id: 'access@1', decision: allow({ rows: { op: 'eq', field: 'customerId', value: '7' }, hide: ['email'], mask: { idNumber: { keepStart: 3, keepEnd: 4 } } }) },
      { id: 'privacy@1', decision: allow({ rows: { op: 'eq', field: 'institutionId', value: '2' }, hide: ['phone', 'email'] }) },
      { id: 'suitability@1', decision: allow({ alerts: [{ kind: 'SUITABILITY_OVERRIDE', rule: 'x', reason: 'y' }] }) },
    ]);
    expect(decision.allow).toBe(true);
    expect([...decision.obligations.hide!].sort()).toEqual(['email', 'phone']);
    expect(decision.obligations.mask).toEqual({ idNumber: { keepStart: 3, keepEnd: 4 } });
    expect(decision.obligations.alerts).toHaveLength(1);
    // rows must satisfy both modules
    expect(matches(decision.obligations.rows!, { customerId: '7', institutionId: '2' })).toBe(true);
    expect(matches(decision.obligations.rows!, { customerId: '7', institutionId: '3' })).toBe(false);
  });

  it('adds up the alerts and confirmations of every module, and leaves out kinds no module gave', () => {
    const alert = (rule: string) => ({ kind: 'SUITABILITY_OVERRIDE', rule, reason: 'r' });
    const decision = combine([
      { id: 'suitability@1', decision: allow({ alerts: [alert('a')], confirm: [reason('C1')], hide: undefined }) },
      { id: 'aml@2', decision: allow({ alerts: [alert('b')], confirm: [reason('C2')] }) },
    ]);
    expect(Object.keys(decision.obligations).sort()).toEqual(['alerts', 'confirm']);
    expect(decision.obligations).toEqual({ alerts: [alert('a'), alert('b')], confirm: [reason('C1'), reason('C2')] });
  });

  it('merges masks most-restrictive-wins, and lets a hide beat a mask of the same field', () => {
    const decision = combine([
      { id: 'access@1', decision: allow({ mask: { idNumber: { keepStart: 6, keepEnd: 4 }, phone: { keepStart: 3, keepEnd: 4 } } }) },
      { id: 'privacy@1', decision: { effect: 'abstain', reasons: [], obligations: { mask: { idNumber: { keepStart: 3, keepEnd: 6 }, email: { keepStart: 1, keepEnd: 0 } }, hide: ['email'] } } },
    ]);
    expect(decision.obligations.mask).toEqual({ idNumber: { keepStart: 3, keepEnd: 4 }, phone: { keepStart: 3, keepEnd: 4 } });
    expect(decision.obligations.hide).toEqual(['email']);
  });

  it("keeps an abstaining module's obligations, but never lets it allow on its own", () => {
    const masks = { effect: 'abstain' as const, reasons: [reason('MASKED')], obligations: { mask: { phone: { keepStart: 3, keepEnd: 4 } } } };
    expect(combine([{ id: 'access@1', decision: allow() }, { id: 'privacy@1', decision: masks }]).obligations.mask).toEqual({ phone: { keepStart: 3, keepEnd: 4 } });
    expect(combine([{ id: 'privacy@1', decision: masks }]).allow).toBe(false);
  });

  it('reports an abstaining module that gave reasons or obligations among the verdicts, and leaves out one that said nothing', () => {
    const masks = { effect: 'abstain' as const, reasons: [], obligations: { mask: { phone: { keepStart: 3, keepEnd: 4 } } } };
    const explains = { effect: 'abstain' as const, reasons: [reason('NOT_MINE')], obligations: {} };
    const decision = combine([
      { id: 'access@1', decision: allow() },
      { id: 'privacy@1', decision: masks },
      { id: 'aml@2', decision: explains },
      { id: 'audit@1', decision: abstain },
    ]);
    expect(decision.verdicts.map((v) => [v.policy, v.effect])).toEqual([
      ['access@1', 'allow'],
      ['privacy@1', 'abstain'],
      ['aml@2', 'abstain'],
    ]);
  });

  it('keeps the confirmation a denying module asks for, and drops everything an allow would grant', () => {
    const decision = combine([
      { id: 'access@1', decision: allow({ mask: { idNumber: { keepStart: 3, keepEnd: 4 } } }) },
      { id: 'suitability@1', decision: deny('RISK_LEVEL_ABOVE_TOLERANCE', { confirm: [reason('CONFIRM_RISK_MISMATCH')] }) },
      { id: 'disclosure@1', decision: allow({ confirm: [reason('CONFIRM_DISCLOSURE')] }) },
    ]);
    expect(decision.obligations).toEqual({ confirm: [reason('CONFIRM_RISK_MISMATCH')] });
  });
});

describe('masks', () => {
  it('keeps the first and last characters and stars the rest', () => {
    expect(applyMask('110105194912310021', { keepStart: 3, keepEnd: 4 })).toBe('110***********0021');
    expect(applyMask('6228480402564890018', { keepStart: 6, keepEnd: 4 })).toBe('622848*********0018');
    expect(applyMask('王小明', { keepStart: 0, keepEnd: 1 })).toBe('**明');
  });

  it('stars a value too short to keep anything, or only just long enough to show it all, and leaves null and undefined alone', () => {
    expect(applyMask('123', { keepStart: 3, keepEnd: 4 })).toBe('***');
    expect(applyMask('1234567', { keepStart: 3, keepEnd: 4 })).toBe('*******');
    expect(applyMask('12345678', { keepStart: 3, keepEnd: 4 })).toBe('123*5678');
    expect(applyMask(null, { keepStart: 3, keepEnd: 4 })).toBeNull();
    expect(applyMask(undefined, { keepStart: 3, keepEnd: 4 })).toBeUndefined();
  });
});
