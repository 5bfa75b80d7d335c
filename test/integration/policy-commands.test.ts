// `fingate policy …` as compliance uses it to check, compare, enforce and roll back policy versions,
// run in this process against a database of its own (the child-process runs, as operators start
// them, are in audit-cli, audit-replay and embedded).

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { StartupError } from '../../src/errors.ts';
import { policyCommand, recordOperatorCommand } from '../../src/policy/commands.ts';
import { emptyServerDatabase, realServer } from '../support/database.ts';
import { needsOpa, opa } from '../support/opa.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';
import { temporaryDir } from '../support/temp.ts';

let dir: string;
let dropDatabase = async () => {};
const saved = { ...process.env };

beforeAll(async () => {
  dir = await copyOfPolicies();
  process.env.FINGATE_POLICIES_DIR = dir;
  delete process.env.FINGATE_PLUGINS; // the project's modules
  if (realServer) {
    const empty = await emptyServerDatabase(saved.DATABASE_URL!);
    process.env.DATABASE_URL = empty.url;
    dropDatabase = empty.drop;
  } else {
    process.env.FINGATE_DATA_DIR = await temporaryDir('fingate-policy-commands');
  }
  // the first start enforces the newest version of each module; access@5 comes later, as a draft
  await policy('list');
  await writeAccessV5(dir);
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await dropDatabase();
});

/** Runs `fingate policy <args>`, collecting what it prints. */
async function policy(...args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await policyCommand(args, (line) => lines.push(...line.split('\n')));
  return { code, lines };
}

/** Runs `work` on the command's database, opened as the CLI opens it and closed after. */
async function onDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: process.env.FINGATE_DATA_DIR, max: 1 });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** The operators' records of `action`, oldest first. */
const operatorRecords = (action: string) =>
  onDatabase(({ sql }) => sql`select actor, operation, resource_ids as "resourceIds", in_transaction as "inTransaction" from audit_events where action = ${action} order by id`);

const file = (module: string, name: string) => relative(process.cwd(), join(dir, module, name));

describe('validate', () => {
  it('passes every committed file, naming each with its id and hash', async () => {
    const { code, lines } = await policy('validate');
    expect(code).toBe(0);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => /^ok {4}\S+ \([a-z-]+@\d+, sha256 [0-9a-f]{12}\)$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith(`ok    ${file('access', 'access.v5.yaml')} (access@5, `))).toBe(true);
  });

  it('exits 1 naming the file and line of an error, and still checks the other files', async () => {
    const broken = join(dir, 'access', 'access.v6.yaml');
    const v5 = await readFile(join(dir, 'access', 'access.v5.yaml'), 'utf8');
    await writeFile(broken, v5.replace('version: 5', 'version: 6').replace('actions: [customer.read]', 'actions: [customer.browse]'));
    const line = v5.split('\n').findIndex((l) => l.includes('actions: [customer.read]')) + 1;
    try {
      const { code, lines } = await policy('validate', join(dir, 'access', 'access.v4.yaml'), broken);
      expect(code).toBe(1);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^ok {4}.*access\.v4\.yaml \(access@4, /);
      expect(lines[1]!.startsWith(`error ${file('access', 'access.v6.yaml')}:${line}: `)).toBe(true);
    } finally {
      await rm(broken);
    }
  });
});

describe('test', () => {
  it('runs every case file and exits 0 when all pass', async () => {
    const { code, lines } = await policy('test');
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('ok  ')).length).toBeGreaterThan(50);
    expect(lines.some((l) => l.startsWith('FAIL'))).toBe(false);
    expect(lines.at(-1)).toBe('all policy cases pass');
  }, 120_000);

  it('exits 1 and names the case and what it got when a case fails', async () => {
    const cases = join(dir, 'access', 'access.v5.test.yaml');
    const v4 = await readFile(join(dir, 'access', 'access.v4.test.yaml'), 'utf8');
    await writeFile(cases, v4.replace('policy: access@4', 'policy: access@5'));
    try {
      const { code, lines } = await policy('test');
      expect(code).toBe(1);
      const failed = lines.filter((l) => l.startsWith('FAIL'));
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((l) => /^FAIL {2}access@5 {2}\S/.test(l))).toBe(true);
      expect(lines.at(-1)).toBe(`${failed.length} failing`);
    } finally {
      await rm(cases);
    }
  }, 120_000);

  it('reports a policy file that does not load as an error naming it, and fails', async () => {
    const broken = join(dir, 'access', 'access.v6.yaml');
    await writeFile(broken, 'module: access\nversion: 6\n');
    try {
      const { code, lines } = await policy('test');
      expect(code).toBe(1);
      expect(lines.filter((l) => l.startsWith('error '))).toEqual([expect.stringContaining(join('access', 'access.v6.yaml'))]);
      expect(lines.at(-1)).toBe('1 failing');
    } finally {
      await rm(broken);
    }
  }, 120_000);
});

describe.skipIf(!opa)(`Rego versions, with the OPA CLI${needsOpa}`, () => {
  /** Runs `work` with `file` of the suitability module edited by `edit`, then restores it. */
  const editing = async <T>(file: string, edit: (text: string) => string, work: () => Promise<T>): Promise<T> => {
    const path = join(dir, 'suitability', file);
    const original = await readFile(path, 'utf8');
    await writeFile(path, edit(original));
    try {
      return await work();
    } finally {
      await writeFile(path, original);
    }
  };

  it('test runs their Rego unit tests too, and fails when one fails', async () => {
    const passing = await policy('test');
    expect(passing.lines).toContainEqual(expect.stringMatching(/^PASS: \d+\/\d+$/));
    const failing = await editing('suitability.v2_test.rego', (rego) => `${rego}\ntest_always_fails if {\n\tfalse\n}\n`, () => policy('test'));
    expect(failing.code).toBe(1);
    expect(failing.lines).toContainEqual(expect.stringMatching(/test_always_fails: FAIL/));
    expect(failing.lines.at(-1)).toBe('1 failing');
  }, 120_000);

  it('build --check lists each as fresh, and exits 1 naming the version whose source changed since its build', async () => {
    const fresh = await policy('build', '--check');
    expect(fresh.code).toBe(0);
    expect(fresh.lines.some((l) => l.startsWith('fresh   suitability@2  '))).toBe(true);
    expect(fresh.lines.every((l) => /^fresh {3}[a-z-]+@\d+  wasm sha256 [0-9a-f]{12}$/.test(l))).toBe(true);
    const stale = await editing('suitability.v2.rego', (rego) => `${rego}\n# edited after its build\n`, () => policy('build', '--check'));
    expect(stale.code).toBe(1);
    // the edited version, what differs in it (indented), and the others still fresh
    const at = stale.lines.findIndex((l) => l.startsWith('stale   suitability@2  '));
    expect(stale.lines[at + 1]).toMatch(/^ {8}\S/);
    expect(stale.lines.filter((l) => l.startsWith('fresh '))).toEqual(fresh.lines.filter((l) => !l.includes(' suitability@2 ')));
  }, 120_000);

  it('build compiles a version whose source changed and records its hashes, after which --check finds it fresh', async () => {
    const yaml = join(dir, 'suitability', 'suitability.v2.yaml');
    const original = await readFile(yaml, 'utf8');
    const edited = await editing('suitability.v2.rego', (rego) => `${rego}\n# edited after its build\n`, async () => {
      const built = await policy('build');
      return { built, check: await policy('build', '--check'), yaml: await readFile(yaml, 'utf8') };
    });
    expect(edited.built.code).toBe(0);
    expect(edited.built.lines.filter((l) => !l.startsWith('fresh '))).toEqual([expect.stringMatching(/^updated suitability@2 /), expect.stringMatching(/^ {8}\S/)]);
    expect(edited.check.code).toBe(0);
    expect(edited.yaml).not.toBe(original);
    // the source restored, a build gives back the committed file byte for byte
    expect((await policy('build')).code).toBe(0);
    expect(await readFile(yaml, 'utf8')).toBe(original);
  }, 180_000);
});

describe('diff', () => {
  it('shows the lines a new version adds, with the two files named', async () => {
    const { code, lines } = await policy('diff', 'access', '4', 'v5');
    expect(code).toBe(0);
    expect(lines.slice(0, 2)).toEqual([`--- ${file('access', 'access.v4.yaml')}`, `+++ ${file('access', 'access.v5.yaml')}`]);
    expect(lines).toContain('-version: 4');
    expect(lines).toContain('+version: 5');
    expect(lines).toContain('+    actions: [customer.read]');
    expect(lines.filter((l) => l.startsWith('-'))).toEqual(['--- ' + file('access', 'access.v4.yaml'), '-version: 4']);
  });

  it('says so when two versions are the same', async () => {
    expect(await policy('diff', 'access', '4', '4')).toEqual({ code: 0, lines: ['no differences'] });
  });

  it('compares the Rego sources of two Rego versions too', async () => {
    const { lines } = await policy('diff', 'suitability', '1', '2');
    const rego = lines.indexOf(`--- ${file('suitability', 'suitability.v1.rego')}`);
    expect(rego).toBeGreaterThan(0);
    expect(lines[rego + 1]).toBe(`+++ ${file('suitability', 'suitability.v2.rego')}`);
    expect(lines.slice(rego + 2).some((l) => l.startsWith('+'))).toBe(true);
  });

  it('says so when two Rego versions name sources of the same content', async () => {
    const folder = join(dir, 'suitability');
    await writeFile(join(folder, 'suitability.v9.rego'), await readFile(join(folder, 'suitability.v2.rego'), 'utf8'));
    await writeFile(join(folder, 'suitability.v9.yaml'), (await readFile(join(folder, 'suitability.v2.yaml'), 'utf8')).replace('source: suitability.v2.rego', 'source: suitability.v9.rego'));
    try {
      const { lines } = await policy('diff', 'suitability', '2', '9');
      expect(lines.at(-1)).toBe('Rego sources are identical');
      expect(lines).toContain('+  source: suitability.v9.rego');
    } finally {
      await rm(join(folder, 'suitability.v9.rego'));
      await rm(join(folder, 'suitability.v9.yaml'));
    }
  });

  it('refuses a missing version or argument with one line naming it', async () => {
    await expect(policy('diff', 'access', '4', '9')).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringContaining('access.v9.yaml') }));
    await expect(policy('diff', 'access', '9', '4')).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringContaining('access.v9.yaml') }));
    await expect(policy('diff', 'access', '4')).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringMatching(/^usage: fingate policy diff /) }));
  });
});

describe('activations', () => {
  const modes = async (module: string) => {
    const { lines } = await policy('list');
    return Object.fromEntries(lines.filter((l) => l.startsWith(`${module}@`)).map((l) => l.split(/\s+/).slice(0, 2)));
  };

  it('lists every loaded version with the mode it runs in, since when and by whom', async () => {
    expect(await modes('access')).toEqual({ 'access@1': 'INACTIVE', 'access@2': 'INACTIVE', 'access@3': 'INACTIVE', 'access@4': 'ENFORCE', 'access@5': 'INACTIVE' });
    const { lines } = await policy('list');
    const columns = (id: string) => lines.find((l) => l.startsWith(`${id} `))!.trim().split(/\s+/);
    expect(columns('access@4')).toEqual(['access@4', 'ENFORCE', expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), 'fingate:bootstrap']);
    expect(columns('access@1')).toEqual(['access@1', 'INACTIVE', '-']);
  }, 60_000);

  it('enforces a version now, by the operator named, and records it in the history', async () => {
    const before = Date.now();
    const { code, lines } = await policy('activate', 'access', 'v5', '--by', 'alice-ops');
    expect(code).toBe(0);
    const [, id, mode, from] = /^(access@5) (ENFORCE) from (\S+) \(activation \d+\)$/.exec(lines[0]!) ?? [];
    expect([id, mode]).toEqual(['access@5', 'ENFORCE']);
    expect(new Date(from!).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(await modes('access')).toMatchObject({ 'access@4': 'INACTIVE', 'access@5': 'ENFORCE' });
    const history = (await policy('history', 'access')).lines;
    expect(history.at(-1)).toMatch(/ access@5 +ENFORCE +from \S+ +by alice-ops$/);
    expect(history.every((l) => l.includes(' access@'))).toBe(true);
    expect(await operatorRecords('policy.activate')).toEqual([{ actor: 'alice-ops', operation: 'fingate policy activate', resourceIds: ['access@5'], inTransaction: true }]);
  });

  it('rolls back to the version enforced before', async () => {
    expect(await policy('rollback', 'access', '--by', 'alice-ops')).toEqual({ code: 0, lines: ['access@4 enforced again (was access@5)'] });
    expect(await modes('access')).toMatchObject({ 'access@4': 'ENFORCE', 'access@5': 'INACTIVE' });
  });

  it('refuses a rollback with no earlier enforced version', async () => {
    await expect(policy('rollback', 'privacy')).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringMatching(/^privacy /) }));
    await expect(policy('rollback')).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringMatching(/^usage: fingate policy rollback /) }));
  });

  it('shadows a version and stops shadowing it', async () => {
    expect((await policy('shadow', 'access', '5')).lines[0]).toMatch(/^access@5 SHADOW from /);
    expect((await modes('access'))['access@5']).toBe('SHADOW');
    expect((await policy('deactivate', 'access', '5')).lines[0]).toMatch(/^access@5 INACTIVE from /);
    expect((await modes('access'))['access@5']).toBe('INACTIVE');
  });

  it('schedules an activation from a later instant', async () => {
    const from = new Date(Date.now() + 86_400_000).toISOString();
    expect((await policy('shadow', 'access', '5', '--from', from)).lines[0]!.startsWith(`access@5 SHADOW from ${from} `)).toBe(true);
    expect((await modes('access'))['access@5']).toBe('INACTIVE');
  });

  it('refuses to leave a module without an enforced version unless forced', async () => {
    await expect(policy('deactivate', 'access', '4')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect((await modes('access'))['access@4']).toBe('ENFORCE');
    expect((await policy('deactivate', 'access', '4', '--force')).code).toBe(0);
    expect((await modes('access'))['access@4']).toBe('INACTIVE');
    expect((await policy('activate', 'access', '4')).code).toBe(0);
  });

  it('refuses a malformed version, instant or unknown version before changing anything', async () => {
    const history = (await policy('history', 'access')).lines;
    // each usage line names the command refused
    await expect(policy('activate', 'access', 'five')).rejects.toThrow(/^usage: fingate policy activate </);
    await expect(policy('shadow', 'access')).rejects.toThrow(/^usage: fingate policy shadow </);
    await expect(policy('deactivate', 'access', '5x')).rejects.toThrow(/^usage: fingate policy deactivate </);
    await expect(policy('shadow', 'access', '5', '--from', 'tomorrow')).rejects.toThrow(/^--from /);
    await expect(policy('activate', 'access', '9')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect((await policy('history', 'access')).lines).toEqual(history);
  });
});

describe('operators’ commands without a transaction of their own', () => {
  it('are recorded after they ran, by the OS user', async () => {
    await onDatabase((db) => recordOperatorCommand(db, { argv: ['migrate'], name: 'fingate migrate', action: 'schema.migrate', resourceType: null, resourceIds: ['0042_example'] }));
    expect(await operatorRecords('schema.migrate')).toEqual([{ actor: `cli:${process.env.USER ?? 'unknown'}`, operation: 'fingate migrate', resourceIds: ['0042_example'], inTransaction: false }]);
  });
});

describe('operators’ commands while no audit observer is in force', () => {
  it('still run, and warn that they are not in the audit trail', async () => {
    const audit = (await policy('list')).lines.find((l) => l.startsWith('audit@') && l.includes(' ENFORCE '))!.split(/\s+/)[0]!;
    const warnings = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // taking audit away is itself recorded, by the audit version it takes away
      expect((await policy('deactivate', 'audit', audit.split('@')[1]!, '--force')).code).toBe(0);
      expect(warnings).not.toHaveBeenCalled();
      expect((await policy('shadow', 'access', '3')).code).toBe(0);
      await onDatabase((db) => recordOperatorCommand(db, { argv: ['seed'], name: 'fingate seed', action: 'data.seed', resourceType: null, resourceIds: [] }));
      expect(warnings.mock.calls.map(([text]) => String(text))).toEqual([
        expect.stringMatching(/^warning: no audit observer is in force; this activation is not in the audit trail/),
        expect.stringMatching(/^warning: no audit observer is in force; fingate seed is not in the audit trail/),
      ]);
      expect(await operatorRecords('data.seed')).toEqual([]);
    } finally {
      warnings.mockRestore();
      await policy('deactivate', 'access', '3');
      await policy('activate', 'audit', audit.split('@')[1]!);
    }
  });
});

describe('replay', () => {
  it('reports the window it replayed, counted back from now', async () => {
    const { code, lines } = await policy('replay', 'access', '5', '--since', '2h');
    expect(code).toBe(0);
    const [, since, until] = /^access@5 in place of the recorded access versions, decisions from (\S+) to (\S+)$/.exec(lines[0]!) ?? [];
    expect(Math.abs(Date.parse(since!) - (Date.now() - 7_200_000))).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(until!) - Date.now())).toBeLessThan(60_000);
    expect(lines.slice(1, 5).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['replayed', expect.stringMatching(/^\d+$/)],
      ['unchanged', expect.stringMatching(/^\d+$/)],
      ['allow → deny', expect.stringMatching(/^\d+$/)],
      ['deny → allow', '0'],
    ]);
  });

  it('takes days, minutes and ISO 8601 instants as bounds', async () => {
    const window = async (...bounds: string[]) => {
      const [, since, until] = /decisions from (\S+) to (\S+)$/.exec((await policy('replay', 'access', '5', ...bounds)).lines[0]!) ?? [];
      return [Date.parse(since!), Date.parse(until!)];
    };
    const [since] = await window('--since', '3d');
    expect(Math.abs(since! - (Date.now() - 3 * 86_400_000))).toBeLessThan(60_000);
    const [minutes] = await window('--since', '45m');
    expect(Math.abs(minutes! - (Date.now() - 45 * 60_000))).toBeLessThan(60_000);
    expect(await window('--since', '2026-01-02T03:04:05Z', '--until', '2026-01-03')).toEqual([Date.parse('2026-01-02T03:04:05Z'), Date.parse('2026-01-03')]);
    expect(await window('--since', '2026-01-02T03:04:05+08:00', '--until', '2026-01-02T23:00:00.5-0130')).toEqual([Date.parse('2026-01-01T19:04:05Z'), Date.parse('2026-01-03T00:30:00.5Z')]);
  });

  it('refuses a malformed window, limit or version', async () => {
    for (const since of ['last week', '7w', 'x7d', '7dx', '2026-13-45', 'x2026-01-02', '2026-01-02x', '2026-01-02T03:04:05+8:00', '2026-01-02T03:04:05+08:0x', '']) {
      await expect(policy('replay', 'access', '5', '--since', since)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: '--since' } });
    }
    await expect(policy('replay', 'access', '5', '--limit=-1')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: '--limit' } });
    await expect(policy('replay', 'access', '5', '--limit', '2.5')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: '--limit' } });
    for (const version of ['0', 'five', 'x5', '5x', '']) {
      await expect(policy('replay', 'access', version)).rejects.toThrow(expect.objectContaining({ constructor: StartupError, message: expect.stringMatching(/^usage: fingate policy replay /) }));
    }
    // well-formed but not loaded: the replay itself refuses it
    await expect(policy('replay', 'access', '12')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect((await policy('replay', 'access', '5', '--limit', '0')).code).toBe(0);
  });
});

describe('usage', () => {
  it('exits 2 for an unknown command and 0 for none', async () => {
    const usage = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((await policy('enable', 'access', '5')).code).toBe(2);
      expect((await policy()).code).toBe(0);
      expect(usage.mock.calls.map(([text]) => String(text).split('\n')[0])).toEqual(['usage: fingate policy <command>', 'usage: fingate policy <command>']);
    } finally {
      usage.mockRestore();
    }
  });
});
