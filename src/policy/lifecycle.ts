import type { Sql } from '../db/database.ts';

/** How a policy version runs: enforced, evaluated beside the enforced one only, or not at all. */
export type PolicyMode = 'ENFORCE' | 'SHADOW' | 'INACTIVE';

/** One row of the activation history. */
export interface Activation {
  id: string;
  module: string;
  version: number;
  sha256: string;
  mode: PolicyMode;
  effectiveFrom: Date;
  activatedAt: Date;
  activatedBy: string;
}

/** The channel on which every instance hears of a new activation. */
export const POLICY_CHANNEL = 'fingate_policy';

export async function readActivations(sql: Sql): Promise<Activation[]> {
  return sql<Activation[]>`select * from policy_activations order by effective_from, id`;
}

/** Records an activation and tells every listening instance, in one transaction (with `observe`'s rows). */
export async function recordActivation(
  sql: Sql,
  activation: Pick<Activation, 'module' | 'version' | 'sha256' | 'mode' | 'activatedBy' | 'effectiveFrom'>,
  observe?: (tx: Sql) => Promise<void>,
): Promise<Activation> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Activation[]>`
      insert into policy_activations (module, version, sha256, mode, effective_from, activated_by)
      values (${activation.module}, ${activation.version}, ${activation.sha256}, ${activation.mode},
              ${activation.effectiveFrom}, ${activation.activatedBy})
      returning *`;
    await tx`select pg_notify(${POLICY_CHANNEL}, ${row!.id})`;
    await observe?.(tx as unknown as Sql);
    return row!;
  });
}

/** What a module runs at one instant. */
export interface ModuleVersions {
  /** The newest ENFORCE activation in effect; none means the module is missing (fail closed). */
  enforced?: Activation;
  /** Versions whose latest activation in effect is SHADOW (never the enforced one). */
  shadow: Activation[];
}

/**
 * The version of each module in force at `at`: the newest ENFORCE activation whose effectiveFrom
 * has come, plus the versions currently in SHADOW. Pure: the same history and instant give the
 * same answer on every instance. `activations` must be ordered by (effectiveFrom, id).
 */
export function versionsAt(activations: readonly Activation[], at: Date): Map<string, ModuleVersions> {
  const latest = new Map<string, Activation>(); // module@version → its latest activation in effect
  const modules = new Map<string, ModuleVersions>();
  for (const activation of activations) {
    if (activation.effectiveFrom > at) break;
    latest.set(`${activation.module}@${activation.version}`, activation);
    const entry = modules.get(activation.module) ?? { shadow: [] };
    if (activation.mode === 'ENFORCE') entry.enforced = activation;
    // deactivating the enforced version leaves the module without one: decisions deny
    if (activation.mode === 'INACTIVE' && entry.enforced?.version === activation.version) delete entry.enforced;
    modules.set(activation.module, entry);
  }
  for (const [module, entry] of modules) {
    entry.shadow = [...latest.values()].filter((a) => a.module === module && a.mode === 'SHADOW' && a.version !== entry.enforced?.version);
  }
  return modules;
}

/** The mode a version is in at `at`, for listings. */
export function modeAt(versions: Map<string, ModuleVersions>, module: string, version: number): PolicyMode {
  const entry = versions.get(module);
  if (entry?.enforced?.version === version) return 'ENFORCE';
  return entry?.shadow.some((a) => a.version === version) ? 'SHADOW' : 'INACTIVE';
}

/**
 * Activates the newest version of every module that has never been activated (a new database),
 * recorded as done by `fingate:bootstrap`. Under an advisory lock, so two instances starting
 * together activate once.
 */
export async function bootstrapActivations(sql: Sql, newest: readonly { module: string; version: number; sha256: string }[]): Promise<Activation[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(7311846102)`;
    const known = new Set((await tx<{ module: string }[]>`select distinct module from policy_activations`).map((r) => r.module));
    const created: Activation[] = [];
    for (const policy of newest.filter((p) => !known.has(p.module))) {
      const [row] = await tx<Activation[]>`
        insert into policy_activations (module, version, sha256, mode, effective_from, activated_by)
        values (${policy.module}, ${policy.version}, ${policy.sha256}, 'ENFORCE', now(), 'fingate:bootstrap')
        returning *`;
      created.push(row!);
    }
    if (created.length) await tx`select pg_notify(${POLICY_CHANNEL}, 'bootstrap')`;
    return created;
  });
}
