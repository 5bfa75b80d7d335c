import { createRequestPolicy, type RequestPolicy } from '../../src/policy/request-policy.ts';
import type { VersionSet } from '../../src/policy/runtime.ts';
import type { Decision, Observer, PolicyRequest } from '../../src/policy/types.ts';

// One request's policy under a version set whose modules answer from a table (action → decision):
// for testing what the request layer and the gate do with decisions, whatever the policies say.

export const allow = (obligations: Decision['obligations'] = {}, policy = 'access@1'): Decision => ({
  allow: true,
  verdicts: [{ policy, effect: 'allow', reasons: [{ code: 'ROLE_ALLOWS', message: 'allowed', regulation: null }] }],
  obligations,
});

export const deny = (policy = 'access@1', code = 'NOT_PERMITTED'): Decision => ({
  allow: false,
  verdicts: [{ policy, effect: 'deny', reasons: [{ code, message: 'denied', regulation: null }] }],
  obligations: {},
});

export interface DecisionTable {
  /** The decision for each action (`action#id` for one record of it); any other action is denied. */
  decisions: Record<string, Decision>;
  /** A shadow version `access@2` deciding from this table. */
  shadow?: Record<string, Decision>;
  /** Observers of the request's decisions, in order. */
  observers?: Observer[];
  purpose?: string | null;
}

/** The request policy, and the decisions asked for (`action`, or `action#id` for a record). */
export function tablePolicy({ decisions, shadow, observers = [], purpose = null }: DecisionTable): { policy: RequestPolicy; asked: string[] } {
  const asked: string[] = [];
  const answer = (table: Record<string, Decision>, request: PolicyRequest) => table[`${request.action}#${request.resource?.id}`] ?? table[request.action] ?? deny();
  const versions: VersionSet = {
    ids: ['access@1'],
    policies: [{ id: 'access@1', sha256: 'a'.repeat(64) }],
    facts: [],
    observers: observers.map((observe, i) => ({ module: `observer${i}`, observe, config: undefined })),
    shadows: shadow ? [{ module: 'access', policy: { id: 'access@2', compiled: { decide: () => ({ effect: 'abstain', reasons: [], obligations: {} }) } } }] : [],
    missing: [],
    decide(request) {
      asked.push(request.resource ? `${request.action}#${request.resource.id}` : request.action);
      return answer(decisions, request);
    },
    decideWithShadow: (_shadow, request) => answer(shadow ?? decisions, request),
    data: () => undefined as never,
  };
  const policy = createRequestPolicy({
    versions,
    principal: { id: 'u1', roles: ['advisor'], scopes: [] },
    purpose,
    now: new Date('2026-06-01T00:00:00Z'),
    requestId: 'r1',
    facts: {},
    actions: { 'customer.read': 'Customer', 'customer.update': 'Customer', 'account.read': 'Account', 'account.transfer': 'Account' },
    timeZone: 'Asia/Shanghai',
  });
  return { policy, asked };
}
