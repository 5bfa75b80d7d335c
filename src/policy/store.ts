import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadPolicyFile, PolicyFileError, type LoadedPolicy } from './file.ts';
import type { Catalogue, PolicyModule } from './types.ts';

/**
 * Every valid policy version on disk, by `module@version`. An invalid file is reported with file
 * and line and never replaces the last good version of itself; nothing in here is in force until
 * the lifecycle activates it.
 */
export interface PolicyStore {
  get(id: string): LoadedPolicy | undefined;
  all(): LoadedPolicy[];
  /** The problems of the last load, sorted by file and line. */
  errors(): readonly PolicyFileError[];
  /** Re-reads every file; resolves when the store reflects the disk. */
  reload(): Promise<void>;
  /** Reloads on every change under the folder; returns a function that stops watching. */
  watch(onChange: () => void): () => void;
}

/** Which versions may no longer change on disk (they were activated with a known hash). */
export type IsPinned = (id: string) => string | undefined;

export async function loadPolicyStore(dir: string, modules: readonly PolicyModule[], catalogue: Catalogue, pinned: IsPinned = () => undefined): Promise<PolicyStore> {
  const byName = new Map(modules.map((m) => [m.name, m as PolicyModule]));
  let policies = new Map<string, LoadedPolicy>();
  let errors: PolicyFileError[] = [];

  // reloads run one at a time, so a slow one never overwrites a newer one
  let queue: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => (queue = queue.then(readAll, readAll));

  async function readAll(): Promise<void> {
    const next = new Map<string, LoadedPolicy>();
    const problems: PolicyFileError[] = [];
    for (const path of await policyFiles(dir)) {
      try {
        const loaded = await loadPolicyFile(path, byName, catalogue);
        const pin = pinned(loaded.file.id);
        if (pin && pin !== loaded.file.sha256) {
          throw new PolicyFileError(path, 1, `${loaded.file.id} is activated with sha256 ${pin.slice(0, 12)}…; an activated version never changes — add version ${loaded.file.version + 1} instead`);
        }
        next.set(loaded.file.id, loaded);
      } catch (error) {
        if (!(error instanceof PolicyFileError)) throw error;
        problems.push(new PolicyFileError(relative(process.cwd(), error.file), error.line, error.detail));
      }
    }
    // the last good version of a file that is now broken (or gone) keeps serving
    for (const [id, loaded] of policies) if (!next.has(id)) next.set(id, loaded);
    policies = next;
    // in file order already: one problem per file, files read in path order
    errors = problems;
  }

  await reload();
  return {
    get: (id) => policies.get(id),
    all: () => [...policies.values()],
    errors: () => errors,
    reload,
    watch(onChange) {
      let timer: NodeJS.Timeout | undefined;
      let watcher: FSWatcher | undefined = watch(dir, { recursive: true }, () => {
        // editors write in bursts (temp file, rename, chmod): settle before reading
        clearTimeout(timer);
        timer = setTimeout(() => reload().then(onChange, (error) => console.error('policy reload failed', error)), 100);
      });
      return () => {
        clearTimeout(timer);
        watcher?.close();
        watcher = undefined;
      };
    },
  };
}

/** `policies/<module>/<module>.v<N>.yaml` files (tests and schemas beside them are not policies). */
export async function policyFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const file of await readdir(join(dir, entry.name))) {
      if (file.endsWith('.yaml') && !file.endsWith('.test.yaml')) files.push(join(dir, entry.name, file));
    }
  }
  return files.sort();
}
