// The policy versions a new database enforces, for generating the demo without a database: the
// newest final version of each configured module in a policies folder, as startPolicyRuntime
// bootstraps them, decided by the real engine.

import { loadConfig } from '../../src/config.ts';
import { decide } from '../../src/policy/engine.ts';
import { engines } from '../../src/policy/engines.ts';
import type { LoadedPolicy } from '../../src/policy/file.ts';
import type { VersionSet } from '../../src/policy/runtime.ts';
import { loadPolicyStore } from '../../src/policy/store.ts';
import { catalogue, modules } from '../support/modules.ts';

/** What the demo generator reads of a version set. */
export type DemoPolicies = Pick<VersionSet, 'decide' | 'data' | 'facts' | 'policies'>;

/** The versions in force on a new database over `dir` (default: the project's policies). */
export async function policiesInForce(dir = loadConfig({}).policiesDir): Promise<DemoPolicies> {
  const store = await loadPolicyStore(dir, modules, catalogue);
  if (store.errors().length > 0) throw new Error(store.errors().map((e) => e.message).join('\n'));
  const newest = new Map<string, LoadedPolicy>();
  for (const policy of store.all()) {
    const current = newest.get(policy.file.module);
    if (policy.file.status !== 'draft' && (!current || current.file.version < policy.file.version)) newest.set(policy.file.module, policy);
  }
  const deciding = modules.filter((m) => engines.get(m.engine)?.decides && newest.has(m.name));
  const enforced = deciding.map((m) => ({ id: newest.get(m.name)!.file.id, compiled: newest.get(m.name)!.compiled }));
  return {
    policies: [...newest.values()].map(({ file }) => ({ id: file.id, sha256: file.sha256 })),
    facts: [...new Set(deciding.flatMap((m) => m.facts ?? []))],
    decide: (request) => decide(enforced, request),
    data<T>(module: string): T {
      const policy = newest.get(module);
      if (!policy) throw new Error(`no version of policy module ${module} is in force`);
      return policy.file.body as T;
    },
  };
}
