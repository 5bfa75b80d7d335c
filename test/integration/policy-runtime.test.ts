import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { bootstrapActivations, recordActivation } from '../../src/policy/lifecycle.ts';
import { startPolicyRuntime, type PolicyRuntime } from '../../src/policy/runtime.ts';
import type { PolicyRequest } from '../../src/policy/types.ts';
import { freshDatabase } from '../support/database.ts';
import { catalogue, modules } from '../support/modules.ts';
import { temporaryDir } from '../support/temp.ts';

// The policy runtime as the gateway and the CLI use it: what is in force, what listings say, and
// what a module without a version in force decides.

const dir = loadConfig({}).policiesDir;
const customerRead = (now: Date): PolicyRequest => ({ principal: { id: 'c7', roles: ['customer'], customerId: '7', scopes: [] }, purpose: null, action: 'customer.read', now });

describe('the policy runtime', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let runtime: PolicyRuntime;

  beforeAll(async () => {
    db = await freshDatabase();
    runtime = await startPolicyRuntime({ db, dir, modules, catalogue, watch: false, log: () => {} });
  });
  afterAll(async () => {
    await runtime?.close();
    await db?.drop();
  });

  it('lists every version by module then version, with the activation in effect that gave it its mode', async () => {
    const before = runtime.list(new Date());
    expect(before.map((l) => `${l.module}@${l.version}`)).toEqual(
      [...before].sort((a, b) => a.module.localeCompare(b.module) || a.version - b.version).map((l) => `${l.module}@${l.version}`),
    );
    expect(before.filter((l) => l.module === 'access').map((l) => [l.version, l.mode, l.activatedBy])).toEqual([
      [1, 'INACTIVE', null],
      [2, 'INACTIVE', null],
      [3, 'INACTIVE', null],
      [4, 'ENFORCE', 'fingate:bootstrap'],
    ]);
    const shadowed = await runtime.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'alice' });
    // scheduled: not in effect yet, so not what the listing shows
    await runtime.activate({ module: 'access', version: 2, mode: 'SHADOW', by: 'bob', effectiveFrom: new Date(Date.now() + 3_600_000) });
    const access = runtime.list(new Date()).filter((l) => l.module === 'access');
    expect(access.map((l) => [l.version, l.mode, l.activatedBy])).toEqual([
      [1, 'INACTIVE', null],
      [2, 'INACTIVE', null],
      [3, 'SHADOW', 'alice'],
      [4, 'ENFORCE', 'fingate:bootstrap'],
    ]);
    expect(access[2]).toMatchObject({ effectiveFrom: shadowed.effectiveFrom, activatedAt: shadowed.activatedAt });
    expect(access[1]).toMatchObject({ effectiveFrom: null, activatedAt: null });
    // activated again: the listing gives the latest activation in effect
    await runtime.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'carol' });
    expect(runtime.list(new Date()).find((l) => l.module === 'access' && l.version === 3)?.activatedBy).toBe('carol');
  });

  it("gives a module's history alone, or every module's", () => {
    expect(new Set(runtime.history('access').map((a) => a.module))).toEqual(new Set(['access']));
    expect(runtime.history('access').map((a) => [a.version, a.activatedBy])).toEqual([
      [4, 'fingate:bootstrap'],
      [3, 'alice'],
      [3, 'carol'],
      // by when they take effect: bob's is scheduled an hour ahead
      [2, 'bob'],
    ]);
    expect(new Set(runtime.history().map((a) => a.module)).size).toBeGreaterThan(1);
  });

  it('decides a shadow version in place of its own module only', () => {
    const set = runtime.at(new Date());
    const shadow = set.shadows.find((s) => s.module === 'access')!;
    expect(shadow.policy.id).toBe('access@3');
    const enforced = set.decide(customerRead(new Date())).verdicts.map((v) => v.policy);
    const shadowed = set.decideWithShadow(shadow, customerRead(new Date())).verdicts.map((v) => v.policy);
    expect(shadowed).toEqual(enforced.map((p) => (p === 'access@4' ? 'access@3' : p)));
  });

  it('takes an activation a moment in the past as now, and refuses one further back', async () => {
    const now = Date.now();
    const recent = await runtime.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'alice', effectiveFrom: new Date(now - 500) });
    expect(recent.effectiveFrom.getTime()).toBeGreaterThanOrEqual(now);
    await expect(runtime.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'alice', effectiveFrom: new Date(now - 5_000) })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'input.effectiveFrom' },
    });
  });

  it('denies every request while a module has no version in force, naming it', async () => {
    expect(runtime.at(new Date()).data('licensing')).toBeDefined();
    await runtime.activate({ module: 'licensing', version: 1, mode: 'INACTIVE', by: 'alice', force: true });
    const set = runtime.at(new Date());
    expect(set.missing).toEqual(['licensing']);
    const decision = set.decide(customerRead(new Date()));
    expect(decision.allow).toBe(false);
    expect(decision.verdicts).toEqual([{ policy: 'licensing@none', effect: 'deny', reasons: [expect.objectContaining({ code: 'POLICY_MISSING' })] }]);
    expect(set.decideWithShadow(set.shadows[0]!, customerRead(new Date())).allow).toBe(false);
    expect(() => set.data('licensing')).toThrow();
    expect(set.data('access')).toBeDefined();
  });
});

/** A runtime over `policies` (the project's by default), as the CLI starts one: no file watching unless asked. */
const runtimeOn = (db: Database, policies = dir, log: (message: string) => void = () => {}, watch = false) => startPolicyRuntime({ db, dir: policies, modules, catalogue, watch, log });

/** Runs `work` on a new database, and with the runtimes it started, closing and dropping them after. */
async function onFreshDatabase(work: (db: Database, started: PolicyRuntime[]) => Promise<void>): Promise<void> {
  const db = await freshDatabase();
  const started: PolicyRuntime[] = [];
  try {
    await work(db, started);
  } finally {
    await Promise.all(started.map((r) => r.close()));
    await db.drop();
  }
}

/** A private copy of the policies folder, changed by `edit`. */
async function policiesCopy(edit: (copy: string) => Promise<void> = async () => {}): Promise<string> {
  const copy = await temporaryDir('fingate-policies');
  await cp(dir, copy, { recursive: true });
  await edit(copy);
  return copy;
}

describe('runtimes sharing a database, as instances of the gateway do', () => {
  it('bootstrap each module once when they start together, and see within a second what another activates', () =>
    onFreshDatabase(async (db, started) => {
      const logs: string[] = [];
      const [a, b] = await Promise.all([runtimeOn(db, dir, (m) => logs.push(m)), runtimeOn(db, dir, (m) => logs.push(m))]);
      started.push(a!, b!);
      const firstStarts = logs.filter((l) => l.endsWith('(first start)'));
      expect(firstStarts).toHaveLength(new Set(firstStarts).size);
      expect(firstStarts).toContain('policy: activated access@4 (first start)');
      expect(b!.history().filter((h) => h.activatedBy === 'fingate:bootstrap')).toHaveLength(firstStarts.length);
      await a!.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'alice' });
      await vi.waitFor(() => expect(b!.at(new Date()).shadows.map((s) => s.policy.id)).toEqual(['access@3']), { timeout: 1_000, interval: 20 });
    }));

  it('stop following activations once closed', () =>
    onFreshDatabase(async (db, started) => {
      const a = await runtimeOn(db);
      const b = await runtimeOn(db);
      started.push(a);
      await b.close();
      await a.activate({ module: 'access', version: 3, mode: 'SHADOW', by: 'alice' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(b.at(new Date()).shadows).toEqual([]);
    }));

  it('bootstrap once when their bootstraps run at the same moment', () =>
    onFreshDatabase(async (db) => {
      const newest = [
        { module: 'access', version: 4, sha256: 'a'.repeat(64) },
        { module: 'privacy', version: 2, sha256: 'b'.repeat(64) },
      ];
      // connections open first, so the bootstraps start together rather than as each one connects
      await Promise.all(Array.from({ length: 8 }, () => db.sql`select pg_sleep(0.05)`));
      const created = await Promise.all(Array.from({ length: 8 }, () => bootstrapActivations(db.sql, newest)));
      expect(created.flat().map((a) => a.module).sort()).toEqual(['access', 'privacy']);
      expect((await db.sql`select module from policy_activations order by module`).map((r) => r.module)).toEqual(['access', 'privacy']);
    }));

  it('see the first activation of a module that another, deployed with its files, bootstraps', () =>
    onFreshDatabase(async (db, started) => {
      const a = await runtimeOn(db, await policiesCopy((copy) => rm(join(copy, 'privacy'), { recursive: true })));
      started.push(a);
      expect(a.history('privacy')).toEqual([]);
      await (await runtimeOn(db)).close();
      await vi.waitFor(() => expect(a.history('privacy').map((h) => [h.version, h.activatedBy])).toEqual([[2, 'fingate:bootstrap']]), { timeout: 1_000, interval: 20 });
    }));
});

describe('a module with ten versions', () => {
  it('enforces its newest on a new database and lists its versions in number order, not by file name', () =>
    onFreshDatabase(async (db, started) => {
      const copy = await policiesCopy(async (copy) => {
        const v4 = await readFile(join(copy, 'access', 'access.v4.yaml'), 'utf8');
        for (const version of [5, 6, 7, 8, 9, 10]) await writeFile(join(copy, 'access', `access.v${version}.yaml`), v4.replace('version: 4', `version: ${version}`));
      });
      const runtime = await runtimeOn(db, copy);
      started.push(runtime);
      const access = runtime.list(new Date()).filter((l) => l.module === 'access');
      expect(access.map((l) => l.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(access.filter((l) => l.mode === 'ENFORCE').map((l) => l.version)).toEqual([10]);
    }));
});

describe('scheduled activations', () => {
  it('refuse taking the enforced version away before its scheduled replacement takes effect, and allow it from then on', () =>
    onFreshDatabase(async (db, started) => {
      const runtime = await runtimeOn(db);
      started.push(runtime);
      const inAnHour = new Date(Date.now() + 3_600_000);
      const inTwoHours = new Date(Date.now() + 7_200_000);
      await runtime.activate({ module: 'privacy', version: 1, mode: 'ENFORCE', by: 'alice', effectiveFrom: inTwoHours });
      // privacy@2 is enforced now: deactivated in an hour, nothing would be enforced for the hour before privacy@1
      await expect(runtime.activate({ module: 'privacy', version: 2, mode: 'INACTIVE', by: 'alice', effectiveFrom: inAnHour })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'input.mode' },
      });
      await runtime.activate({ module: 'privacy', version: 2, mode: 'INACTIVE', by: 'alice', effectiveFrom: inTwoHours });
      const later = runtime.at(new Date(inTwoHours.getTime() + 1)).ids;
      expect([later.includes('privacy@1'), later.includes('privacy@2')]).toEqual([true, false]);
    }));
});

describe('an activated version edited on disk', () => {
  /** A copy of the policies whose access@4, enforced by a first start on `db`, was edited after. */
  const editedAfterActivation = async (db: Database) => {
    const copy = await policiesCopy();
    await (await runtimeOn(db, copy)).close();
    const file = join(copy, 'access', 'access.v4.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}\n# edited after its activation\n`);
    return { copy, file, original };
  };

  it('is refused, naming it, and its module denies everything until a new version is activated', () =>
    onFreshDatabase(async (db, started) => {
      const { copy } = await editedAfterActivation(db);
      const logs: string[] = [];
      const runtime = await runtimeOn(db, copy, (m) => logs.push(m));
      started.push(runtime);
      expect(runtime.store.get('access@4')).toBeUndefined();
      expect(runtime.store.errors().map((e) => e.detail).join('\n')).toContain('access@4');
      // and operators read it in the log at start
      expect(logs).toEqual([expect.stringMatching(/^policy: .*access\.v4\.yaml.*access@4/)]);
      expect(runtime.store.get('access@3')).toBeDefined();
      expect(runtime.at(new Date()).missing).toEqual(['access']);
    }));

  it('is enforced again, without a restart, once the file is restored while the runtime watches', () =>
    onFreshDatabase(async (db, started) => {
      const { copy, file, original } = await editedAfterActivation(db);
      const logs: string[] = [];
      const runtime = await runtimeOn(db, copy, (m) => logs.push(m), true);
      started.push(runtime);
      expect(runtime.at(new Date()).missing).toEqual(['access']);
      await writeFile(file, original);
      await vi.waitFor(() => expect(runtime.at(new Date()).missing).toEqual([]), { timeout: 5_000, interval: 50 });
      expect(runtime.at(new Date()).ids).toContain('access@4');
      // a file broken while it watches is in the log for operators
      logs.length = 0;
      await writeFile(join(copy, 'access', 'access.v3.yaml'), 'module: [access\n');
      await vi.waitFor(() => expect(logs).toContainEqual(expect.stringMatching(/^policy: .*access\.v3\.yaml/)), { timeout: 5_000, interval: 50 });
    }));
});

describe('a runtime on an embedded database', () => {
  it('sees within a second an activation another client of the database recorded', async () => {
    const db = await openDatabase({ memory: true });
    await migrate(db.sql);
    const runtime = await startPolicyRuntime({ db, dir, modules, catalogue, watch: false, log: () => {} });
    try {
      const file = runtime.store.get('access@3')!.file;
      await recordActivation(db.sql, { module: 'access', version: 3, sha256: file.sha256, mode: 'SHADOW', activatedBy: 'cli', effectiveFrom: new Date() });
      await vi.waitFor(() => expect(runtime.at(new Date()).shadows.map((s) => s.policy.id)).toEqual(['access@3']), { timeout: 1_000, interval: 50 });
    } finally {
      await runtime.close();
      await db.close();
    }
  });
});
