import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { temporaryDir } from './temp.ts';

/** A private copy of the project's policies folder, for tests that add or break versions. */
export async function copyOfPolicies(): Promise<string> {
  const dir = await temporaryDir('fingate-policies');
  await cp(loadConfig({}).policiesDir, dir, { recursive: true });
  return dir;
}

/** A rule suspending advisors' access to customer records, the kind of change a compliance team ships as a new version. */
const ADVISORS_SUSPENDED = `
  - effect: deny
    roles: [advisor]
    actions: [customer.read]
    subject: Customer
    reason: { code: ADVISOR_ACCESS_SUSPENDED, message: Advisors may not browse customer records while the access review runs, regulation: "《个人信息保护法》第51条" }
`;

/** Writes access.v5.yaml: access@4 plus `rules` (YAML list items; default: advisors suspended). */
export async function writeAccessV5(dir: string, rules = ADVISORS_SUSPENDED): Promise<void> {
  const v4 = await readFile(join(dir, 'access', 'access.v4.yaml'), 'utf8');
  await writeFile(join(dir, 'access', 'access.v5.yaml'), `${v4.replace('version: 4', 'version: 5')}${rules}`);
}
