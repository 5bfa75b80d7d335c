// Reads made for the system itself rather than for a caller: the facts policies decide on, the
// demo seed, the audit sealer. They are the only permits not made by the gate, and this file is
// the only place they come from (a test holds the list of its callers), so every read of data
// outside a request's decisions is one grep away.

import { takeIssuer, type Permit } from '../policy/permit.ts';
import type { ResourceType } from '../resources.ts';

const issue = takeIssuer('system');

/** Why the system reads without a caller's permit: policy facts, the demo seed, the audit sealer, operators' ledger corrections. */
export type SystemReason = 'policy-facts' | 'seed' | 'audit' | 'correction';

/** A permit over every row of `resource`, for a system read. */
export function systemPermit(resource: ResourceType, reason: SystemReason): Permit {
  return issue(`system.${reason}`, resource, { op: 'all' }, {}, undefined);
}
