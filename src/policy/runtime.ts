import type { Database, Sql } from '../db/database.ts';
import { clientError } from '../errors.ts';
import { decide, type ActivePolicy } from './engine.ts';
import { engines } from './engines.ts';
import type { LoadedPolicy } from './file.ts';
import { bootstrapActivations, modeAt, POLICY_CHANNEL, readActivations, recordActivation, versionsAt, type Activation, type PolicyMode } from './lifecycle.ts';
import { loadPolicyStore, type PolicyStore } from './store.ts';
import type { Catalogue, Decision, Observer, PolicyModule, PolicyRequest } from './types.ts';

/**
 * The policy versions in force at one instant, for one request: decisions under it are made by
 * exactly these versions, whatever is activated meanwhile.
 */
export interface VersionSet {
  /** `module@version` of every enforced version. */
  readonly ids: readonly string[];
  /** Every enforced version with the sha256 of its file. */
  readonly policies: readonly { id: string; sha256: string }[];
  /** The facts the modules in force decide with (src/data/facts.ts loads them). */
  readonly facts: readonly string[];
  /** Observers and the body of their enforced file (undefined for observers without files). */
  readonly observers: readonly { module: string; observe: Observer; config: unknown }[];
  /** Shadow versions, each with the module it would replace. */
  readonly shadows: readonly { module: string; policy: ActivePolicy }[];
  /** Modules with no enforceable version: every decision denies until one is activated. */
  readonly missing: readonly string[];
  decide(request: PolicyRequest): Decision;
  /** The same request decided with one module's shadow version in place of its enforced one. */
  decideWithShadow(shadow: { module: string; policy: ActivePolicy }, request: PolicyRequest): Decision;
  /** The body (for Rego, the data) of the enforced version of a module. Throws (fails closed) when missing. */
  data<T>(module: string): T;
}

/** A listing entry: one loaded version and how it runs now. */
export interface PolicyListing {
  module: string;
  version: number;
  sha256: string;
  mode: PolicyMode;
  effectiveFrom: Date | null;
  activatedAt: Date | null;
  activatedBy: string | null;
}

export interface PolicyRuntime {
  readonly store: PolicyStore;
  /** The version set in force at `now`. */
  at(now: Date): VersionSet;
  /** Every loaded version with its current mode. */
  list(now: Date): PolicyListing[];
  history(module?: string): readonly Activation[];
  /**
   * Activates a loaded version (ENFORCE, SHADOW or INACTIVE) from `effectiveFrom` (default now).
   * Refused (BAD_USER_INPUT) when it would leave its module without an enforced version, or lock
   * compliance out of `policy.activate`, unless `force` (the CLI's `--force`).
   */
  activate(input: {
    module: string;
    version: number;
    mode: PolicyMode;
    effectiveFrom?: Date;
    by: string;
    force?: boolean;
    /** Runs in the activation's database transaction (the decision stream's observers). */
    observe?: (tx: Sql) => Promise<void>;
  }): Promise<Activation>;
  /** Re-reads the activation history; every instance does this on a notification. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  db: Database;
  dir: string;
  modules: readonly PolicyModule[];
  /** What the schema declares (actions, personal fields), for compiling policies. */
  catalogue: Catalogue;
  /** Reload files when they change on disk. @default true */
  watch?: boolean;
  log?: (message: string) => void;
}

/**
 * Loads the policy files, bootstraps a new database's activations, and keeps both current: file
 * changes are reloaded (invalid ones reported, the last good version kept), and activations made
 * by any instance arrive through LISTEN/NOTIFY (polled for when the database is embedded).
 */
export async function startPolicyRuntime({ db, dir, modules, catalogue, watch = true, log = (m) => console.error(m) }: RuntimeOptions): Promise<PolicyRuntime> {
  let activations = await readActivations(db.sql);
  // every activation of a version pins the same file (an edited one is refused), so any one will do
  const pinned = (id: string) => activations.find((a) => `${a.module}@${a.version}` === id)?.sha256;
  const store = await loadPolicyStore(dir, modules, catalogue, pinned);
  // Stryker disable next-line StringLiteral: log text
  for (const error of store.errors()) log(`policy: ${error.message}`);

  // a new database enforces the newest reviewed version of each module; drafts wait for an activation
  const newest = new Map<string, LoadedPolicy>();
  for (const policy of store.all()) {
    if (policy.file.status === 'draft') continue;
    const current = newest.get(policy.file.module);
    if (!current || current.file.version < policy.file.version) newest.set(policy.file.module, policy);
  }
  const created = await bootstrapActivations(db.sql, [...newest.values()].map(({ file }) => ({ module: file.module, version: file.version, sha256: file.sha256 })));
  // Stryker disable next-line StringLiteral: log text
  for (const a of created) log(`policy: activated ${a.module}@${a.version} (first start)`);

  let cache: { set: VersionSet; from: number; until: number } | undefined;
  const refresh = async () => {
    activations = await readActivations(db.sql);
    cache = undefined;
  };
  await refresh();

  // Stryker disable next-line StringLiteral: log text
  const onNotify = () => void refresh().catch((e) => log(`policy: refresh failed: ${e}`));
  const unlisten = db.embedded
    ? pollActivations(db, () => activations, onNotify, log)
    : // onlisten also runs after a reconnect: re-read what may have been activated meanwhile
      (await db.sql.listen(POLICY_CHANNEL, onNotify, onNotify)).unlisten;
  const unwatch = watch
    ? store.watch(() => {
        cache = undefined;
        // Stryker disable next-line StringLiteral: log text
        for (const error of store.errors()) log(`policy: ${error.message}`);
      })
    : undefined;

  return {
    store,
    at(now) {
      const t = now.getTime();
      if (!cache || t < cache.from || t >= cache.until) {
        // the set changes only when a scheduled activation comes into effect
        const boundaries = activations.map((a) => a.effectiveFrom.getTime());
        cache = {
          set: versionSet(store, activations, modules, now),
          from: Math.max(-Infinity, ...boundaries.filter((b) => b <= t)),
          until: Math.min(Infinity, ...boundaries.filter((b) => b > t)),
        };
      }
      return cache.set;
    },
    list(now) {
      const versions = versionsAt(activations, now);
      return store
        .all()
        .map(({ file }) => {
          const last = [...activations].reverse().find((a) => a.module === file.module && a.version === file.version && a.effectiveFrom <= now);
          return {
            module: file.module,
            version: file.version,
            sha256: file.sha256,
            mode: modeAt(versions, file.module, file.version),
            effectiveFrom: last?.effectiveFrom ?? null,
            activatedAt: last?.activatedAt ?? null,
            activatedBy: last?.activatedBy ?? null,
          };
        })
        .sort((a, b) => a.module.localeCompare(b.module) || a.version - b.version);
    },
    history: (module) => activations.filter((a) => module === undefined || a.module === module),
    async activate({ module, version, mode, effectiveFrom, by, force = false, observe }) {
      const loaded = store.get(`${module}@${version}`);
      if (!loaded) {
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        const message = `no valid policy file ${module}@${version} is loaded`;
        throw clientError('BAD_USER_INPUT', message, { field: 'input.version' });
      }
      // history is never rewritten: an activation takes effect now or later, and not before its file says
      const now = Date.now();
      if (effectiveFrom && effectiveFrom.getTime() < now - 1000) {
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        const message = 'an activation cannot take effect in the past';
        throw clientError('BAD_USER_INPUT', message, { field: 'input.effectiveFrom' });
      }
      const from = new Date(Math.max(effectiveFrom?.getTime() ?? now, new Date(loaded.file.effectiveFrom).getTime(), now));
      // Stryker disable next-line StringLiteral: an id no activation has, never read
      const planned = { id: '0', module, version, sha256: loaded.file.sha256, mode, effectiveFrom: from, activatedAt: new Date(now), activatedBy: by };
      if (!force) refuseUnsafe(store, activations, planned, modules);
      const activation = await recordActivation(db.sql, { module, version, sha256: loaded.file.sha256, mode, effectiveFrom: from, activatedBy: by }, observe);
      await refresh(); // this instance applies it now; others on their notification
      return activation;
    },
    refresh,
    async close() {
      unwatch?.();
      await unlisten();
    },
  };
}

/**
 * The embedded database is one backend shared by every client of its socket: a notification would
 * reach whichever client is talking, not the one listening. Instead, look twice a second for an
 * activation made through another process (the CLI).
 */
function pollActivations(db: Database, known: () => readonly Activation[], onNew: () => void, log: (message: string) => void): () => Promise<void> {
  let polling = false;
  const timer = setInterval(() => {
    // Stryker disable next-line ConditionalExpression: polls overlapping on a slow database only read twice
    if (polling) return;
    // Stryker disable next-line BooleanLiteral: the same
    polling = true;
    db.sql<{ id: string | null }[]>`select max(id)::text as id from policy_activations`
      .then(([row]) => {
        // Stryker disable next-line ConditionalExpression: refreshing when nothing is new reads the same activations again
        if (row?.id && !known().some((a) => a.id === row.id)) onNew();
      })
      // Stryker disable next-line StringLiteral: log text
      .catch((e) => log(`policy: looking for new activations failed: ${e}`))
      .finally(() => (polling = false));
  }, 500).unref();
  return async () => clearInterval(timer);
}

function versionSet(store: PolicyStore, activations: readonly Activation[], modules: readonly PolicyModule[], now: Date): VersionSet {
  const versions = versionsAt(activations, now);
  const enforced: ActivePolicy[] = [];
  const policies: { id: string; sha256: string }[] = [];
  const bodies = new Map<string, unknown>();
  const missing: string[] = [];
  const shadows: { module: string; policy: ActivePolicy }[] = [];
  const facts = new Set<string>();
  const observers: { module: string; observe: Observer; config: unknown }[] = [];
  const loadedFor = (a: Activation) => {
    const loaded = store.get(`${a.module}@${a.version}`);
    // what was activated is exactly this content; anything else is not it
    return loaded?.file.sha256 === a.sha256 ? loaded : undefined;
  };
  for (const module of modules) {
    if (!module.body) {
      // a module without files (an observer such as a test's) is always in force
      if (module.observe) observers.push({ module: module.name, observe: module.observe, config: undefined });
      continue;
    }
    const entry = versions.get(module.name);
    const loaded = entry?.enforced && loadedFor(entry.enforced);
    if (!loaded) {
      missing.push(module.name);
      continue;
    }
    policies.push({ id: loaded.file.id, sha256: loaded.file.sha256 });
    bodies.set(module.name, loaded.file.body);
    if (module.observe) observers.push({ module: module.name, observe: module.observe, config: loaded.file.body });
    if (!engines.get(module.engine)?.decides) continue;
    enforced.push({ id: loaded.file.id, compiled: loaded.compiled });
    for (const fact of module.facts ?? []) facts.add(fact);
    for (const shadow of entry.shadow) {
      const s = loadedFor(shadow);
      if (s) shadows.push({ module: module.name, policy: { id: s.file.id, compiled: s.compiled } });
    }
  }
  const missingDecision: Decision | undefined = missing.length
    ? {
        allow: false,
        verdicts: missing.map((m) => ({
          policy: `${m}@none`,
          effect: 'deny',
          // Stryker disable next-line StringLiteral: message text, tests assert codes
          reasons: [{ code: 'POLICY_MISSING', message: `no version of ${m} is in force`, regulation: null }],
        })),
        obligations: {},
      }
    : undefined;
  return {
    ids: policies.map((p) => p.id),
    policies,
    facts: [...facts],
    observers,
    shadows,
    missing,
    decide: (request) => missingDecision ?? decide(enforced, request),
    decideWithShadow: (shadow, request) =>
      missingDecision ?? decide(enforced.map((p) => (p.id.startsWith(`${shadow.module}@`) ? shadow.policy : p)), request),
    data<T>(module: string): T {
      // Stryker disable next-line StringLiteral: message text
      if (!bodies.has(module)) throw new Error(`no version of policy module ${module} is in force`);
      return bodies.get(module) as T;
    },
  };
}

/** The principal every safety check asks for: a compliance officer with no other attribute. */
const COMPLIANCE: PolicyRequest['principal'] = { id: 'fingate:safety-check', roles: ['compliance'], scopes: [] };

/**
 * Refuses an activation that would take away what the module had: its enforced version (now, or
 * once a scheduled activation comes into effect), or compliance's ability to activate policies
 * through the API, which would make the mistake impossible to undo there.
 */
function refuseUnsafe(store: PolicyStore, activations: readonly Activation[], planned: Activation, modules: readonly PolicyModule[]): void {
  const after = [...activations, planned].sort((a, b) => a.effectiveFrom.getTime() - b.effectiveFrom.getTime());
  // Stryker disable next-line MethodExpression,ArrowFunction,ConditionalExpression,EqualityOperator: earlier instants are checked for nothing; the planned activation is not in effect then
  const instants = [planned.effectiveFrom, ...after.map((a) => a.effectiveFrom).filter((t) => t > planned.effectiveFrom)];
  const canActivate = (set: VersionSet, at: Date) => set.decide({ principal: COMPLIANCE, purpose: null, action: 'policy.activate', now: at }).allow;
  for (const at of instants) {
    const [was, will] = [versionSet(store, activations, modules, at), versionSet(store, after, modules, at)];
    if (!was.missing.includes(planned.module) && will.missing.includes(planned.module)) {
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      const message = `this would leave ${planned.module} without an enforced version from ${at.toISOString()}; enforce another version first`;
      throw clientError('BAD_USER_INPUT', message, { field: 'input.mode' });
    }
    if (canActivate(was, at) && !canActivate(will, at)) {
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      const message = `${planned.module}@${planned.version} would leave compliance unable to activate policies, with no way back through the API`;
      throw clientError('BAD_USER_INPUT', message, { field: 'input.version' });
    }
  }
}
