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
const CUSTOMER_ACTIONS = new Set(['product.purchase', 'product.redeem', 'account.transfer', 'customer.assessRisk', 'disclosure.acknowledge']);

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
  const own: Condition = { op: 'eq', field: 'customerId', value: principal.customerId ?? null };
  if (resource && action.endsWith('.read') && (staff || hasRole(principal, 'customer'))) {
    return { action, resource, rows: !staff && OWNED.has(resource) ? own : ALL };
  }
  if (resource && CUSTOMER_ACTIONS.has(action) && hasRole(principal, 'customer')) return { action, resource, rows: own };
  throw clientError('POLICY_DENIED', `${action} is not allowed for roles [${principal.roles.join(', ')}]`, {
    decision: { policy: 'own-data@0', reasons: [{ code: 'NO_RULE_ALLOWS', message: `no rule allows ${action}`, regulation: null }] },
  });
}
