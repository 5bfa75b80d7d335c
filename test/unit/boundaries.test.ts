import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLoaders } from '../../src/data/loaders.ts';
import { byKeys, permitted } from '../../src/data/query.ts';
import { systemPermit } from '../../src/data/system.ts';
import type { Sql } from '../../src/db/database.ts';
import { StartupError } from '../../src/errors.ts';
import { checkModules, loadModules } from '../../src/policy/modules.ts';
import { Permit, takeIssuer } from '../../src/policy/permit.ts';
// the gate's per-request half takes the gate's issuer when it loads
import '../../src/policy/request-policy.ts';
import type { PolicyModule } from '../../src/policy/types.ts';
import { temporaryDir } from '../support/temp.ts';

const root = new URL('../..', import.meta.url).pathname;

/** Every .ts file under a folder of the project. */
async function sources(folder: string): Promise<string[]> {
  const entries = await readdir(join(root, folder), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('permits', () => {
  const real = systemPermit('Customer', 'seed');
  // never reaches a database: every refusal happens before a statement is built
  const sql = (() => {
    throw new Error('no statement may be built');
  }) as unknown as Sql;

  it('refuse a forged permit, a copy of a real one, and null, in every data-access function', async () => {
    const forged = { action: 'customer.read', resource: 'Customer', rows: { op: 'all' }, obligations: {} };
    for (const fake of [forged, { ...real }, Object.create(Permit.prototype), null, undefined]) {
      expect(() => permitted(sql, fake as Permit)).toThrow(/no permit from the gate/);
      await expect(byKeys(sql, fake as Permit, ['1'])).rejects.toThrow(/no permit from the gate/);
      expect(() => createLoaders().get(fake as Permit, 'customer', async () => [])).toThrow(/no permit from the gate/);
    }
    expect(Permit.is(real)).toBe(true);
  });

  it('cannot be widened once issued', () => {
    const narrow = systemPermit('Customer', 'seed');
    expect(() => Object.assign(narrow, { resource: 'Account', rows: { op: 'none' } })).toThrow(TypeError);
    expect(narrow.resource).toBe('Customer');
  });

  it('refuse a real permit for another resource than the rows being read', () => {
    expect(() => permitted(sql, systemPermit('Account', 'seed'), 'Customer')).toThrow(/covers Account rows, not Customer/);
  });

  it('are issued only by the gate and the system path: the issuers are taken when those load', () => {
    expect(() => takeIssuer('gate')).toThrow(/already taken/);
    expect(() => takeIssuer('system')).toThrow(/already taken/);
  });

  it('for the system come from src/data/system.ts, called only where the system reads for itself', async () => {
    const callers: string[] = [];
    for (const file of [...(await sources('src')), ...(await sources('schema')), ...(await sources('plugins'))]) {
      if ((await readFile(file, 'utf8')).includes('systemPermit(')) callers.push(relative(root, file));
    }
    expect(callers.sort()).toEqual(['src/audit/commands.ts', 'src/audit/sealer.ts', 'src/data/facts.ts', 'src/data/system.ts', 'src/policy/commands.ts']);
  });
});

describe('the plugin boundary', () => {
  it('src/ imports nothing under plugins/', async () => {
    const offenders: string[] = [];
    for (const file of await sources('src')) {
      if (/from ['"][./]*\/plugins\//.test(await readFile(file, 'utf8'))) offenders.push(relative(root, file));
    }
    expect(offenders).toEqual([]);
  });

  const facts = new Set(['customer', 'product']);
  const module = (overrides: Partial<PolicyModule>): PolicyModule => ({ name: 'm', engine: 'data', description: 'd', body: {} as never, ...overrides });
  const problem = (modules: PolicyModule[]) => {
    try {
      checkModules(modules, facts);
    } catch (error) {
      expect(error).toBeInstanceOf(StartupError);
      return (error as Error).message;
    }
    return undefined;
  };

  it('stops the start with one line naming a plugin with an unknown engine, an unknown fact, or a duplicate name', () => {
    expect(problem([module({ name: 'fraud', engine: 'prolog' })])).toMatch(/^plugin fraud: unknown engine "prolog" \(known: [a-z, ]*\bcasl\b[a-z, ]*\)$/);
    expect(problem([module({ name: 'fraud', facts: ['customer', 'horoscope'] })])).toBe('plugin fraud: no provider for fact "horoscope" (known: customer, product)');
    expect(problem([module({ name: 'fraud', engine: 'casl', body: undefined })])).toMatch(/^plugin fraud: a casl module needs a body schema/);
    expect(problem([module({ name: 'fraud' }), module({ name: 'fraud' })])).toMatch(/^plugin fraud: the name is registered twice/);
    expect(problem([module({ name: 'watch', engine: 'observer', body: undefined })])).toMatch(/^plugin watch: an observer needs observe hooks/);
    for (const message of [problem([module({ name: 'fraud', engine: 'prolog' })])]) expect(message).not.toContain('\n');
    expect(problem([module({ name: 'fine', facts: ['customer'] })])).toBeUndefined();
  });

  it('stops the start on a module without a lowercase name', () => {
    for (const name of ['Fraud', '9lives', 'fraud_check', 'x fraud', '', undefined, 7]) {
      expect(problem([module({ name: name as string })])).toMatch(/^plugin .*: a module needs a lowercase name/);
    }
    expect(problem([null as unknown as PolicyModule])).toMatch(/^plugin null: /);
    expect(problem([module({ name: 'fraud-2' })])).toBeUndefined();
  });

  it('loads a plugin file exporting a module, a factory of one, or a list of both, in order, and checks them', async () => {
    const dir = await temporaryDir('fingate-plugins');
    const plugin = async (name: string, text: string) => {
      const file = join(dir, `${name}.mjs`);
      await writeFile(file, text);
      return file;
    };
    const one = (name: string) => `{ name: '${name}', engine: 'data', description: 'd', body: {} }`;
    const files = [
      await plugin('object', `export default ${one('a')};`),
      await plugin('factory', `export default () => (${one('b')});`),
      await plugin('list', `export default [${one('c')}, () => (${one('d')})];`),
    ];
    expect((await loadModules(files, { facts })).map((m) => m.name)).toEqual(['a', 'b', 'c', 'd']);
    await expect(loadModules([files[0]!, files[0]!], { facts })).rejects.toThrow(/^plugin a: the name is registered twice/);
    await expect(loadModules([await plugin('broken', 'export default {')], { facts })).rejects.toThrow(/^plugin file \S*broken\.mjs: cannot load it: \S/);
    await expect(loadModules([join(dir, 'missing.mjs')], { facts })).rejects.toThrow(/^plugin file \S*missing\.mjs: cannot load it: \S/);
  });
});
