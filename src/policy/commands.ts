import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { factProviders } from '../data/facts.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { StartupError } from '../errors.ts';
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

OPA: the path of the opa CLI in $OPA, or opa on PATH.
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
    let failed = 0;
    for (const file of files) {
      try {
        const { file: loaded } = await loadPolicyFile(file, modules, catalogue);
        out(`ok    ${show(file)} (${loaded.id}, sha256 ${loaded.sha256.slice(0, 12)})`);
      } catch (error) {
        if (!(error instanceof PolicyFileError)) throw error;
        failed++;
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
      const a = await runtime.activate({ module, version: previous.version, mode: 'ENFORCE', by: values.by ?? operator() });
      out(`${module}@${a.version} enforced again (was ${module}@${current.version})`);
    });
  },
};

async function setMode(mode: PolicyMode, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, by: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const [module, version] = positionals;
  if (!module || !version || !/^v?\d+$/.test(version)) throw new StartupError(`usage: fingate policy ${mode === 'ENFORCE' ? 'activate' : mode === 'SHADOW' ? 'shadow' : 'deactivate'} <module> <version>`);
  const from = values.from ? new Date(values.from) : undefined;
  if (from && Number.isNaN(from.getTime())) throw new StartupError('--from must be an ISO 8601 instant');
  return withRuntime(async (runtime) => {
    const a = await runtime.activate({ module, version: Number(version.replace(/^v/, '')), mode, effectiveFrom: from, by: values.by ?? operator(), force: values.force });
    out(`${a.module}@${a.version} ${a.mode} from ${a.effectiveFrom.toISOString()} (activation ${a.id})`);
  });
}

const operator = () => `cli:${process.env.USER ?? 'unknown'}`;

async function withRuntime(run: (runtime: PolicyRuntime) => Promise<void>): Promise<number> {
  const config = loadConfig();
  // embedded: through the process holding the data directory (a running gateway), if there is one
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  try {
    await migrate(db.sql);
    const runtime = await startPolicyRuntime({ db, dir: policiesDir(), modules: await configuredModules(config), catalogue: await schemaCatalogue(), watch: false, log: () => {} });
    try {
      await run(runtime);
    } finally {
      await runtime.close();
    }
    return 0;
  } finally {
    await db.close();
  }
}
