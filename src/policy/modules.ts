import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartupError } from '../errors.ts';
import { engines } from './engines.ts';
import type { PolicyModule } from './types.ts';

/**
 * Loads the policy modules a deployment runs from the files its configuration names
 * (`FINGATE_PLUGINS`): each file's default export is a module, a factory of one, or a list of them.
 * `src/` never imports a module itself, so adding one is a new folder plus configuration.
 */
export async function loadModules(files: readonly string[], { facts }: { facts: ReadonlySet<string> }): Promise<PolicyModule[]> {
  const modules: PolicyModule[] = [];
  for (const file of files) {
    let exported: unknown;
    try {
      exported = ((await import(pathToFileURL(resolve(file)).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new StartupError(`plugin file ${file}: cannot load it: ${(error as Error).message.split('\n')[0]}`);
    }
    const entries = Array.isArray(exported) ? exported : [exported];
    for (const entry of entries) modules.push(typeof entry === 'function' ? (entry as () => PolicyModule)() : (entry as PolicyModule));
  }
  checkModules(modules, facts);
  return modules;
}

/**
 * Refuses a module list that cannot run: a module with no name, an unknown engine, a fact nobody
 * provides, a duplicate name, an observer without hooks. One line, naming the module.
 */
export function checkModules(modules: readonly PolicyModule[], facts: ReadonlySet<string>): void {
  const seen = new Set<string>();
  for (const module of modules) {
    if (typeof module?.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(module.name)) {
      throw new StartupError(`plugin ${JSON.stringify(module?.name ?? null)}: a module needs a lowercase name`);
    }
    const name = `plugin ${module.name}`;
    if (seen.has(module.name)) throw new StartupError(`${name}: the name is registered twice`);
    seen.add(module.name);
    const engine = engines.get(module.engine);
    if (!engine) throw new StartupError(`${name}: unknown engine "${module.engine}" (known: ${[...engines.keys()].join(', ')})`);
    const unknown = (module.facts ?? []).filter((fact) => !facts.has(fact));
    if (unknown.length) throw new StartupError(`${name}: no provider for fact ${unknown.map((f) => `"${f}"`).join(', ')} (known: ${[...facts].join(', ')})`);
    if (engine.decides && !module.body) throw new StartupError(`${name}: a ${module.engine} module needs a body schema for its policy files`);
    if (!engine.decides && !module.observe) throw new StartupError(`${name}: an observer needs observe hooks`);
  }
}
