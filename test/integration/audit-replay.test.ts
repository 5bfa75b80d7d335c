// Replay: the recorded decisions of a period decided again under a draft version, before anyone
// activates it — as a compliance query, and as `fingate policy replay`, which fails on loosening.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { policyCommand } from '../../src/policy/commands.ts';
import { run } from '../support/cli.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { copyOfPolicies } from '../support/policies.ts';

let gw: TestGateway;
let dir: string;
let compliance: string;
let since: string;

const REPLAY = `query($name: String!, $version: String!, $since: DateTime!) {
  policyReplay(name: $name, version: $version, since: $since) {
    draft replayed unchanged allowToDeny denyToAllow
    byAction { action reason allowToDeny denyToAllow }
    changes { seq action actor resourceType before after reasons }
    skipped { reason count }
  }
}`;

beforeAll(async () => {
  dir = await copyOfPolicies();
  const v2 = await readFile(join(dir, 'access', 'access.v2.yaml'), 'utf8');
  const draft = (version: number, rule: string) => `${v2.replace('version: 2', `version: ${version}\nstatus: draft`)}\n${rule}`;
  // a tightening draft: advisors may no longer browse customer records
  await writeFile(
    join(dir, 'access', 'access.v3.yaml'),
    draft(
      3,
      `  - effect: deny
    roles: [advisor]
    actions: [customer.read]
    subject: Customer
    reason: { code: ADVISOR_ACCESS_SUSPENDED, message: Advisors may not browse customer records during the review, regulation: null }
`,
    ),
  );
  // a loosening draft: customers may read risk alerts (tipping-off, AML Law Art. 35)
  await writeFile(
    join(dir, 'access', 'access.v4.yaml'),
    draft(
      4,
      `  - roles: [customer]
    actions: [riskAlert.read]
    subject: RiskAlert
    conditions: { customerId: "\${principal.customerId}" }
`,
    ),
  );
  gw = await startGateway({ customers: 20, policiesDir: dir });
  since = new Date(Date.now() - 1000).toISOString();
  compliance = await gw.token({ roles: ['compliance'], sub: 'officer-r' });
  const advisor = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', 1), sub: 'advisor-r' });
  // the history: three advisor reads (allowed), two customer reads of risk alerts (denied), compliance reads
  for (let i = 0; i < 3; i++) await gw.request(`{ customers(first: 2) { edges { node { id } } } }`, { token: advisor });
  for (let i = 0; i < 2; i++) await gw.request(`{ riskAlerts { totalCount } }`, { token: await gw.customerToken('2') });
  for (let i = 0; i < 2; i++) await gw.request(`{ transactions(first: 2) { edges { node { id } } } }`, { token: compliance });
  await gw.seal();
});
afterAll(() => gw?.close());

const replay = async (version: string) => {
  const response = await gw.request(REPLAY, { token: compliance, variables: { name: 'access', version, since } });
  expect(response.errors).toBeUndefined();
  return response.data.policyReplay;
};

describe('policyReplay (compliance, before activatePolicy)', () => {
  it('a tightening draft: every advisor read flips allow→deny, by action and reason; nothing else changes', async () => {
    const result = await replay('3');
    expect(result).toMatchObject({ draft: 'access@3', allowToDeny: 3, denyToAllow: 0 });
    expect(result.byAction).toEqual([{ action: 'customer.read', reason: 'ADVISOR_ACCESS_SUSPENDED', allowToDeny: 3, denyToAllow: 0 }]);
    expect(result.changes).toHaveLength(3);
    for (const change of result.changes) expect(change).toMatchObject({ action: 'customer.read', actor: 'advisor-r', before: 'ALLOW', after: 'DENY', reasons: ['ADVISOR_ACCESS_SUSPENDED'] });
    expect(result.unchanged).toBe(result.replayed - 3);
    expect(result.replayed).toBeGreaterThanOrEqual(7);
  });

  it('a loosening draft: the denied risk-alert reads flip deny→allow', async () => {
    const result = await replay('4');
    expect(result).toMatchObject({ draft: 'access@4', allowToDeny: 0, denyToAllow: 2 });
    expect(result.byAction).toEqual([expect.objectContaining({ action: 'riskAlert.read', denyToAllow: 2 })]);
  });

  it('the enforced version against itself changes nothing', async () => {
    expect(await replay('2')).toMatchObject({ allowToDeny: 0, denyToAllow: 0 });
  });

  it('refuses an unknown version or a module that decides nothing with BAD_USER_INPUT', async () => {
    const ask = (name: string, version: string) => gw.request(REPLAY, { token: compliance, variables: { name, version, since } });
    expect((await ask('access', '9')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
    expect((await ask('audit', '1')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'module' });
    expect((await ask('access', 'three')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'version' });
  });
});

describe.skipIf(!realServer)('fingate policy replay (needs a PostgreSQL server the CLI can reach)', () => {
  /** Runs `fingate policy replay <args>` in this process, on the gateway's database, collecting what it prints. */
  const policyReplay = async (...args: string[]) => {
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: gw.db.url, FINGATE_POLICIES_DIR: dir });
    delete process.env.FINGATE_PLUGINS;
    const lines: string[] = [];
    try {
      const code = await policyCommand(['replay', ...args], (line) => lines.push(...line.split('\n')));
      return { code, lines };
    } finally {
      process.env = saved;
    }
  };
  const columns = (line: string | undefined) => line?.trim().split(/\s{2,}/);

  it('prints the counts, the flips by action and reason and each changed record, and exits 0 for a tightening draft', async () => {
    const { code, lines } = await policyReplay('access', '3', '--since', '1h');
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^access@3 in place of the recorded access versions, decisions from \S+ to \S+$/);
    expect(lines.slice(3, 5).map(columns)).toEqual([
      ['allow → deny', '3'],
      ['deny → allow', '0'],
    ]);
    const byAction = lines.indexOf('by action and reason:');
    expect(columns(lines[byAction + 1])).toEqual(['customer.read', 'ADVISOR_ACCESS_SUSPENDED', 'allow→deny 3', 'deny→allow 0']);
    expect(lines[byAction + 2]).toBe('changed records:');
    const changes = lines.slice(byAction + 3).map(columns);
    expect(changes).toHaveLength(3);
    for (const change of changes) {
      expect(change).toEqual([expect.stringMatching(/^seq \d+$/), expect.stringMatching(/^\d{4}-/), 'customer.read', 'advisor-r', 'Customer', 'ALLOW → DENY', 'ADVISOR_ACCESS_SUSPENDED']);
    }
  });

  it('says how many of the changed records it lists when --limit cuts them short', async () => {
    const { lines } = await policyReplay('access', '3', '--since', '1h', '--limit', '1');
    const first = lines.indexOf('changed records (first 1):');
    expect(first).toBeGreaterThan(0);
    expect(lines.slice(first + 1)).toHaveLength(1);
  });

  it('prints neither groups nor records when nothing flips', async () => {
    const { code, lines } = await policyReplay('access', '2', '--since', '1h');
    expect(code).toBe(0);
    expect(lines.some((l) => l.startsWith('by action') || l.startsWith('changed records'))).toBe(false);
  });

  it('exits 1 on any deny→allow flip, unless given --allow-loosening', async () => {
    const refused = await policyReplay('access', '4', '--since', '1h');
    expect(refused.code).toBe(1);
    expect(columns(refused.lines[4])).toEqual(['deny → allow', '2']);
    expect(refused.lines.at(-1)).toMatch(/^LOOSENING: 2 /);
    const accepted = await policyReplay('access', '4', '--since', '1h', '--allow-loosening');
    expect(accepted.code).toBe(0);
    expect(accepted.lines.some((l) => l.startsWith('LOOSENING'))).toBe(false);
  });

  it('refuses a malformed --since in one line, exit 1, as a child process', async () => {
    const result = await run(['policy', 'replay', 'access', '3', '--since', 'last week'], { DATABASE_URL: gw.db.url, FINGATE_POLICIES_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--since/);
  });
});
