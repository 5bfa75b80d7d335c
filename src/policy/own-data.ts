import type { GraphQLResolveInfo } from 'graphql';
import { clientError } from '../errors.ts';
import { resourceOf, type ResourceType } from '../resources.ts';
import { ALL, type Condition } from './condition.ts';
import { hasRole, type Principal } from './principal.ts';
import type { AccessGrant, RequestPolicy } from './request-policy.ts';

// Temporary, until the policy engine's access module replaces it: a customer sees only their own
// records; staff roles see all; anyone else sees nothing.
const OWNED: ReadonlySet<ResourceType> = new Set(['Customer', 'Account', 'Transaction', 'RiskAlert']);
const STAFF = ['advisor', 'compliance', 'auditor', 'service'] as const;

export function ownDataPolicy(principal: Principal): RequestPolicy {
  const grants = new Map<string, AccessGrant>();
  return {
    access(action: string, _info: GraphQLResolveInfo): AccessGrant {
      let grant = grants.get(action);
      if (!grant) {
        grant = decide(principal, action);
        grants.set(action, grant);
      }
      return grant;
    },
    fieldEffects: () => null,
  };
}

function decide(principal: Principal, action: string): AccessGrant {
  const resource = resourceOf(action);
  const staff = STAFF.some((role) => hasRole(principal, role));
  if (resource && action.endsWith('.read') && (staff || hasRole(principal, 'customer'))) {
    const rows: Condition = !staff && OWNED.has(resource) ? { op: 'eq', field: 'customerId', value: principal.customerId ?? null } : ALL;
    return { action, resource, rows };
  }
  throw clientError('POLICY_DENIED', `${action} is not allowed for roles [${principal.roles.join(', ')}]`, {
    decision: { policy: 'own-data@0', reasons: [{ code: 'NO_RULE_ALLOWS', message: `no rule allows ${action}`, regulation: null }] },
  });
}
