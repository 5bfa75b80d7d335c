import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { temporaryDir } from './temp.ts';

/** A private copy of the project's policies folder, for tests that add or break versions. */
export async function copyOfPolicies(): Promise<string> {
  const dir = await temporaryDir('fingate-policies');
  await cp(loadConfig({}).policiesDir, dir, { recursive: true });
  return dir;
}

/**
 * Writes access.v4.yaml: access@3 plus a rule suspending advisors' access to customer records,
 * the kind of change a compliance team ships as a new version.
 */
export async function writeAccessV4(dir: string): Promise<void> {
  const v3 = await readFile(join(dir, 'access', 'access.v3.yaml'), 'utf8');
  const v4 = `${v3.replace('version: 3', 'version: 4')}
  - effect: deny
    roles: [advisor]
    actions: [customer.read]
    subject: Customer
    reason: { code: ADVISOR_ACCESS_SUSPENDED, message: Advisors may not browse customer records while the access review runs, regulation: "《个人信息保护法》第51条" }
`;
  await writeFile(join(dir, 'access', 'access.v4.yaml'), v4);
}

/**
 * Writes the next access version of `dir`: its newest one plus the rules of a notes file beside it
 * (the first YAML block of e.g. policies/access/access.v4-suitability.patch.md, which the integrator
 * merges into one access version). Returns the new version's number.
 */
export async function writeAccessRules(dir: string, notes: string): Promise<number> {
  const folder = join(dir, 'access');
  const newest = Math.max(...(await readdir(folder)).map((name) => Number(/^access\.v(\d+)\.yaml$/.exec(name)?.[1] ?? 0)));
  const rules = /```yaml\n([\s\S]*?)```/.exec(await readFile(join(folder, notes), 'utf8'))![1]!;
  const base = await readFile(join(folder, `access.v${newest}.yaml`), 'utf8');
  const next = newest + 1;
  await writeFile(join(folder, `access.v${next}.yaml`), `${base.replace(`version: ${newest}`, `version: ${next}`).trimEnd()}\n${rules}`);
  return next;
}
