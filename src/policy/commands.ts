import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { withApplicationDatabase } from '../audit/commands.ts';
import { createAuditLog } from '../audit/log.ts';
import { operator, recordCommand, type Command } from '../audit/operator.ts';
import { replay } from '../audit/replay.ts';
import { loadConfig, type Config } from '../config.ts';
import { factProviders } from '../data/facts.ts';
import { systemPermit } from '../data/system.ts';
import type { Database, Sql } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { badInput, StartupError } from '../errors.ts';
import { buildRegoPolicies, runOpaTests } from './build.ts';
import { caseFiles, runCaseFile } from './cases.ts';
import { unifiedDiff } from './diff.ts';
import { loadPolicyFile, PolicyFileError } from './file.ts';
import { jsonSchemaFile, policyFileJsonSchema } from './json-schema.ts';
import type { PolicyMode } from './lifecycle.ts';
import type { PolicyModule } from './types.ts';
import { loadModules } from './modules.ts';
import { startPolicyRuntime, type PolicyRuntime } from './runtime.ts';
import { loadPolicyStore, policyFiles } from './store.ts';

export const POLICY_USAGE = `usage: fingate policy <command>

  validate [files…]                 check policy files (all by default); errors as file:line
  test                              run every *.test.yaml through the engine, and opa test (needs OPA)
  build [--check]                   compile Rego sources to wasm and pin their hashes (needs OPA)
  diff <module> <v1> <v2>           what changed between two versions
  schema                            write policies/policy-file.schema.json for editors
  list                              every version and the mode it runs in now
  history [module]                  every activation, oldest first
  activate <module> <version> [--from ISO] [--by NAME]    enforce a version, now or from --from
  shadow <module> <version> [--from ISO] [--by NAME]      evaluate beside the enforced one, record differences
  deactivate <module> <version> [--by NAME] [--force]     stop shadowing (or enforcing) it; --force may
                                    leave a module with no enforced version (every decision then denies)
  rollback <module> [--by NAME]     enforce the version enforced before the current one
  replay <module> <version> [--since 7d] [--until ISO] [--allow-loosening] [--limit N]
                                    decide the recorded decisions again under a draft version: what
                                    flips; exits 1 on any deny→allow unless --allow-loosening

OPA: the path of the opa CLI in $OPA, or opa on PATH. Activations are recorded in the audit trail
with the operator (--by, else the OS user) as actor.
`;

type Out = (line: string) => void;

/** Runs `fingate policy …`; returns the exit code. */
export async function policyCommand(args: string[], out: Out = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [command, ...rest] = args;
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stderr.write(POLICY_USAGE);
    return command ? 2 : 0;
  }
  return run(rest, out);
}

/** The policy modules the configuration names (FINGATE_PLUGINS), checked against the fact providers. */
export function configuredModules(config: Config = loadConfig()): Promise<PolicyModule[]> {
  return loadModules(config.plugins, { facts: new Set(Object.keys(factProviders)) });
}

/** What the schema declares, for compiling policies (loaded on demand: the schema is not small). */
const schemaCatalogue = async () => (await import('../gateway.ts')).catalogue;

const opa = () => process.env.OPA || 'opa';
/** FINGATE_POLICIES_DIR, or the project's policies/ folder. */
const policiesDir = (): string => loadConfig().policiesDir;
const show = (path: string) => relative(process.cwd(), path);

const commands: Record<string, (args: string[], out: Out) => Promise<number>> = {
  async validate(args, out) {
    const files = args.length ? args : await policyFiles(policiesDir());
    const modules = new Map((await configuredModules()).map((m) => [m.name, m]));
    const catalogue = await schemaCatalogue();
    let failed = false;
    for (const file of files) {
      try {
        const { file: loaded } = await loadPolicyFile(file, modules, catalogue);
        out(`ok    ${show(file)} (${loaded.id}, sha256 ${loaded.sha256.slice(0, 12)})`);
      } catch (error) {
        if (!(error instanceof PolicyFileError)) throw error;
        failed = true;
        out(`error ${show(error.file)}:${error.line}: ${error.detail}`);
      }
    }
    return failed ? 1 : 0;
  },

  async test(_args, out) {
    const store = await loadPolicyStore(policiesDir(), await configuredModules(), await schemaCatalogue());
    for (const error of store.errors()) out(`error ${error.message}`);
    let failed = store.errors().length;
    for (const file of await caseFiles(policiesDir())) {
      for (const result of await runCaseFile(file, store)) {
        out(`${result.problems.length ? 'FAIL' : 'ok  '}  ${result.policy}  ${result.name}`);
        for (const problem of result.problems) out(`        ${problem}`);
        if (result.problems.length) failed++;
      }
    }
    if (store.all().some((p) => p.file.engine === 'rego')) {
      try {
        const result = await runOpaTests({ dir: policiesDir(), opa: opa() });
        out(result.output.trimEnd());
        if (!result.ok) failed++;
      } catch (error) {
        out(`skipped opa test: ${(error as Error).message}`);
      }
    }
    out(failed ? `${failed} failing` : 'all policy cases pass');
    return failed ? 1 : 0;
  },

  async build(args, out) {
    const { values } = parseArgs({ args, options: { check: { type: 'boolean', default: false } } });
    const results = await buildRegoPolicies({ dir: policiesDir(), opa: opa(), check: values.check });
    for (const r of results) {
      out(`${r.status.padEnd(7)} ${r.id}  wasm sha256 ${r.wasmSha256.slice(0, 12)}`);
      for (const d of r.differences) out(`        ${d}`);
    }
    return results.some((r) => r.status === 'stale') ? 1 : 0;
  },

  async diff(args, out) {
    const [module, v1, v2] = args;
    if (!module || !v1 || !v2) throw new StartupError('usage: fingate policy diff <module> <v1> <v2>');
    const path = (v: string) => join(policiesDir(), module, `${module}.v${v.replace(/^v/, '')}.yaml`);
    const read = (p: string) => readFile(p, 'utf8').catch(() => Promise.reject(new StartupError(`${show(p)} does not exist`)));
    const [before, after] = [await read(path(v1)), await read(path(v2))];
    out(unifiedDiff(before, after, { from: show(path(v1)), to: show(path(v2)) }) || 'no differences');
    // the Rego logic of two versions differs in its sources, not in the files that name them
    const source = (text: string) => /^\s*source:\s*(\S+)/m.exec(text)?.[1];
    const [s1, s2] = [source(before), source(after)];
    if (s1 && s2 && s1 !== s2) {
      const dir = join(policiesDir(), module);
      out(unifiedDiff(await read(join(dir, s1)), await read(join(dir, s2)), { from: show(join(dir, s1)), to: show(join(dir, s2)) }) || 'Rego sources are identical');
    }
    return 0;
  },

  async schema(_args, out) {
    await writeFile(jsonSchemaFile, policyFileJsonSchema(await configuredModules()));
    out(`wrote ${show(fileURLToPath(jsonSchemaFile))}`);
    return 0;
  },

  list: (_args, out) =>
    withRuntime(async (runtime) => {
      for (const p of runtime.list(new Date())) {
        out(`${`${p.module}@${p.version}`.padEnd(28)} ${p.mode.padEnd(8)} ${p.effectiveFrom?.toISOString() ?? '-'}  ${p.activatedBy ?? ''}`);
      }
    }),

  history: ([module], out) =>
    withRuntime(async (runtime) => {
      for (const a of runtime.history(module)) {
        out(`${a.activatedAt.toISOString()}  ${`${a.module}@${a.version}`.padEnd(28)} ${a.mode.padEnd(8)} from ${a.effectiveFrom.toISOString()}  by ${a.activatedBy}`);
      }
    }),

  activate: (args, out) => setMode('ENFORCE', args, out),
  shadow: (args, out) => setMode('SHADOW', args, out),
  deactivate: (args, out) => setMode('INACTIVE', args, out),

  async rollback(args, out) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { by: { type: 'string' } } });
    const [module] = positionals;
    if (!module) throw new StartupError('usage: fingate policy rollback <module>');
    return withRuntime(async (runtime) => {
      const enforced = runtime.history(module).filter((a) => a.mode === 'ENFORCE' && a.effectiveFrom <= new Date());
      const current = enforced.at(-1);
      const previous = [...enforced].reverse().find((a) => a.version !== current?.version);
      if (!current || !previous) throw new StartupError(`${module} has no earlier enforced version to roll back to`);
      const a = await runtime.activate({ module, version: previous.version, mode: 'ENFORCE', by: by(values.by), observe: recorded(runtime, ['policy', 'rollback', ...args], module, previous.version, values.by) });
      out(`${module}@${a.version} enforced again (was ${module}@${current.version})`);
    });
  },

  async replay(args, out) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { since: { type: 'string', default: '7d' }, until: { type: 'string' }, 'allow-loosening': { type: 'boolean', default: false }, limit: { type: 'string', default: '50' } },
    });
    const [module, version] = positionals;
    if (!module || !version || !/^v?[1-9]\d{0,8}$/.test(version)) throw new StartupError('usage: fingate policy replay <module> <version> [--since 7d]');
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0) throw badInput('--limit', 'must be a whole number');
    const since = sinceOf(values.since);
    const until = values.until === undefined ? new Date() : sinceOf(values.until);
    let loosening = 0;
    await withRuntime(async (runtime, sql) => {
      const r = await replay(sql, systemPermit('AuditEvent', 'audit'), runtime.store, { module, version: Number(version.replace(/^v/, '')), since, until, changesLimit: limit });
      loosening = r.denyToAllow;
      out(`${r.draft} in place of the recorded ${module} versions, decisions from ${r.since.toISOString()} to ${r.until.toISOString()}`);
      out(`  replayed       ${r.replayed}`);
      out(`  unchanged      ${r.unchanged}`);
      out(`  allow → deny   ${r.allowToDeny}`);
      out(`  deny → allow   ${r.denyToAllow}`);
      for (const s of r.skipped) out(`  skipped        ${s.count} (${s.reason})`);
      if (r.byAction.length) out('by action and reason:');
      for (const g of r.byAction) out(`  ${g.action.padEnd(24)} ${g.reason.padEnd(32)} allow→deny ${g.allowToDeny}  deny→allow ${g.denyToAllow}`);
      if (r.changes.length) out(`changed records${r.changes.length < r.allowToDeny + r.denyToAllow ? ` (first ${r.changes.length})` : ''}:`);
      for (const c of r.changes) {
        out(`  ${c.seq ? `seq ${c.seq}` : `event ${c.eventId} (unsealed)`}  ${c.at.toISOString()}  ${c.action}  ${c.actor}  ${c.resourceType ?? '-'} ${c.resourceId ?? ''}  ${c.before} → ${c.after}  ${c.reasons.join(',')}`);
      }
    });
    if (loosening > 0 && !values['allow-loosening']) {
      out(`LOOSENING: ${loosening} decision(s) denied then would be allowed; review them, and pass --allow-loosening to accept`);
      return 1;
    }
    return 0;
  },
};

/**
 * When a replay starts: an ISO 8601 instant, or a duration back from now (`7d`, `24h`, `30m`).
 * Anything else is BAD_USER_INPUT.
 */
function sinceOf(value: string): Date {
  const ago = /^(\d{1,6})([dhm])$/.exec(value);
  if (ago) return new Date(Date.now() - Number(ago[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[ago[2] as 'd' | 'h' | 'm']);
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw badInput('--since', `must be a duration such as 7d, 24h, 30m, or an ISO 8601 instant, got "${value}"`);
  return date;
}

async function setMode(mode: PolicyMode, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, by: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const [module, version] = positionals;
  const command = mode === 'ENFORCE' ? 'activate' : mode === 'SHADOW' ? 'shadow' : 'deactivate';
  if (!module || !version || !/^v?\d+$/.test(version)) throw new StartupError(`usage: fingate policy ${command} <module> <version>`);
  const from = values.from ? new Date(values.from) : undefined;
  if (from && Number.isNaN(from.getTime())) throw new StartupError('--from must be an ISO 8601 instant');
  const n = Number(version.replace(/^v/, ''));
  return withRuntime(async (runtime) => {
    const a = await runtime.activate({ module, version: n, mode, effectiveFrom: from, by: by(values.by), force: values.force, observe: recorded(runtime, ['policy', command, ...args], module, n, values.by) });
    out(`${a.module}@${a.version} ${a.mode} from ${a.effectiveFrom.toISOString()} (activation ${a.id})`);
  });
}

const by = (name: string | undefined) => operator(name).id;

/** Records an activation command in the activation's own transaction, through the audit observers in force. */
function recorded(runtime: PolicyRuntime, argv: string[], module: string, version: number, name: string | undefined): (tx: Sql) => Promise<void> {
  return async (tx) => {
    const versions = createAuditLog(tx).bind(runtime.at(new Date()));
    const command: Command = { argv, name: `fingate policy ${argv[1]}`, action: 'policy.activate', resourceType: 'Policy', resourceIds: [`${module}@${version}`], by: operator(name), inTransaction: true };
    if ((await recordCommand(tx, versions, command)) === 0) process.stderr.write('warning: no audit observer is in force; this activation is not in the audit trail\n');
  };
}

/**
 * Records an operator's data-changing command that has no transaction of its own to share
 * (`fingate migrate`, `seed`, `audit checkpoint`), through the audit observers of the policies in
 * force, after it ran.
 */
export async function recordOperatorCommand(db: Database, command: Omit<Command, 'by' | 'inTransaction'>): Promise<void> {
  const config = loadConfig();
  const runtime = await startPolicyRuntime({ db, dir: config.policiesDir, modules: await configuredModules(config), catalogue: await schemaCatalogue(), watch: false, log: () => {} });
  try {
    const versions = createAuditLog(db.sql).bind(runtime.at(new Date()));
    if ((await recordCommand(db.sql, versions, { ...command, by: operator(), inTransaction: false })) === 0) {
      process.stderr.write(`warning: no audit observer is in force; ${command.name} is not in the audit trail\n`);
    }
  } finally {
    await runtime.close();
  }
}

/** Runs `run` with the policy runtime over the configured database, as the application role (migrated first). */
async function withRuntime(run: (runtime: PolicyRuntime, sql: Sql) => Promise<void>): Promise<number> {
  const config = loadConfig();
  const migrated = async (owner: Database) => void (await migrate(owner.sql));
  await withApplicationDatabase(
    config,
    async (sql, db) => {
      const runtime = await startPolicyRuntime({ db: { ...db, sql }, dir: policiesDir(), modules: await configuredModules(config), catalogue: await schemaCatalogue(), watch: false, log: () => {} });
      try {
        await run(runtime, sql);
      } finally {
        await runtime.close();
      }
    },
    migrated,
  );
  return 0;
}
