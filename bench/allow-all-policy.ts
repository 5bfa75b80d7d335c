// The "policies off" baseline of bench/policy-overhead.ts: the real policy runtime, except that
// every version set allows every action on every row with no obligations, no facts and no
// observers, so the gate is a no-op allow. Permits, loaders and batching stay exactly as in the
// real run (the gate still makes one permit per request and action), so the comparison measures
// the decisions, their obligations and the decision stream, not a different data path.

import type { PolicyRuntime, VersionSet } from '../src/policy/runtime.ts';
import type { Decision } from '../src/policy/types.ts';

const ALLOW: Decision = { allow: true, verdicts: [], obligations: {} };

export function allowAllRuntime(real: PolicyRuntime): PolicyRuntime {
  const sets = new WeakMap<VersionSet, VersionSet>();
  return {
    ...real,
    at(now) {
      const set = real.at(now);
      let open = sets.get(set);
      if (!open) sets.set(set, (open = { ...set, missing: [], shadows: [], facts: [], observers: [], decide: () => ALLOW, decideWithShadow: () => ALLOW }));
      return open;
    },
  };
}
