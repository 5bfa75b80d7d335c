// The "policies off" baseline of bench/policy-overhead.ts: a RequestPolicy that allows every action
// on every row and applies no field obligations, so the gate is a no-op allow. Grants are cached per
// request and action exactly like the real one (the gate makes one permit per grant and the loaders
// batch per permit: a fresh grant per call would also switch batching off and flatter the real run).

import { clientError } from '../src/errors.ts';
import { ALL } from '../src/policy/condition.ts';
import type { AccessGrant, PolicyReport, RequestPolicy, RequestPolicyOptions } from '../src/policy/request-policy.ts';
import { resourceOf } from '../src/resources.ts';

export function allowAllPolicy(_options: RequestPolicyOptions): RequestPolicy {
  const grants = new Map<string, AccessGrant>();
  const report: PolicyReport = { versions: [], hidden: [], masked: [] };
  return {
    access(action) {
      let grant = grants.get(action);
      if (!grant) {
        const resource = resourceOf(action);
        if (!resource) throw clientError('POLICY_DENIED', `${action} names no resource`);
        grants.set(action, (grant = { action, resource, rows: ALL }));
      }
      return grant;
    },
    decideOn: () => ({}),
    fieldEffects: () => null,
    report: () => report,
  };
}
