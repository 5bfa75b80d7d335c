import { describe, expect, it } from 'vitest';
import { caslBodySchema, compileCasl, type CaslBody } from '../../src/policy/casl.ts';
import type { Principal } from '../../src/policy/principal.ts';
import type { PolicyFile, PolicyRequest } from '../../src/policy/types.ts';
import { catalogue } from '../support/modules.ts';

// The casl engine on its own: which rule applies to whom, and what a decision says about it.

function policy(body: unknown) {
  const file = { id: 'access@99', body: caslBodySchema.parse(body) } as PolicyFile<CaslBody>;
  return compileCasl(file, catalogue);
}

const now = new Date('2026-06-01T00:00:00Z');
const principal = (p: Partial<Principal>): Principal => ({ id: 'u1', roles: [], scopes: [], ...p });
const request = (p: Partial<Principal>, extra: Partial<PolicyRequest> = {}): PolicyRequest => ({ principal: principal(p), purpose: null, action: 'customer.read', now, ...extra });
const customer = (attributes: Record<string, unknown>) => ({ resource: { type: 'Customer' as const, id: '1', attributes: { id: '1', ...attributes } } });

describe('a casl policy', () => {
  it('says by code whether a role allowed it or no rule did, when its rules give no reason', () => {
    const p = policy({ rules: [{ roles: ['advisor'], actions: ['customer.read'], subject: 'Customer', conditions: { institutionId: '${principal.institutionId}' } }] });
    const advisor = { roles: ['advisor'], institutionId: '7' };
    expect(p.decide(request(advisor))).toMatchObject({ effect: 'allow', reasons: [{ code: 'ROLE_ALLOWS' }] });
    expect(p.decide(request(advisor, customer({ institutionId: '7' })))).toMatchObject({ effect: 'allow', reasons: [{ code: 'ROLE_ALLOWS' }] });
    expect(p.decide(request(advisor, customer({ institutionId: '8' })))).toMatchObject({ effect: 'deny', reasons: [{ code: 'NOT_PERMITTED' }] });
    expect(p.decide(request({ roles: ['compliance'] }))).toMatchObject({ effect: 'abstain' });
  });

  it('denies by code a record a deny rule without a reason covers', () => {
    const p = policy({
      rules: [
        { roles: ['advisor'], actions: ['customer.read'], subject: 'Customer' },
        { effect: 'deny', roles: ['advisor'], actions: ['customer.read'], subject: 'Customer', conditions: { region: 'XZ' } },
      ],
    });
    expect(p.decide(request({ roles: ['advisor'] }, customer({ region: 'XZ' })))).toMatchObject({ effect: 'deny', reasons: [{ code: 'NOT_PERMITTED' }] });
    expect(p.decide(request({ roles: ['advisor'] }, customer({ region: 'BJ' })))).toMatchObject({ effect: 'allow' });
  });

  it('applies a rule listing several scopes to a token holding any one of them', () => {
    const p = policy({ rules: [{ roles: ['service'], scopes: ['customers:read', 'crm:sync'], actions: ['customer.read'], subject: 'Customer' }] });
    expect(p.decide(request({ roles: ['service'], scopes: ['crm:sync'] }))).toMatchObject({ effect: 'allow' });
    expect(p.decide(request({ roles: ['service'], scopes: ['transactions:read'] }))).toMatchObject({ effect: 'abstain' });
  });

  it('matches a number in a rule against the same number in a record, as PostgreSQL returns it (a string)', () => {
    const p = policy({ rules: [{ roles: ['advisor'], actions: ['customer.read'], subject: 'Customer', conditions: { institutionId: 7 } }] });
    expect(p.decide(request({ roles: ['advisor'] }, customer({ institutionId: '7' })))).toMatchObject({ effect: 'allow' });
    expect(p.decide(request({ roles: ['advisor'] }, customer({ institutionId: 7 })))).toMatchObject({ effect: 'allow' });
    expect(p.decide(request({ roles: ['advisor'] }, customer({ institutionId: '70' })))).toMatchObject({ effect: 'deny' });
  });
});
