import { appendFile, cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate, migrationsApplied, migrationsDir, MigrationError, readMigrations } from '../../src/db/migrate.ts';
import { emptyServerDatabase, freshDatabase, realServer } from '../support/database.ts';
import { temporaryDir } from '../support/temp.ts';

let db: Database & { drop(): Promise<void> };
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.drop());

async function copyOfMigrations(): Promise<string> {
  const dir = await temporaryDir('fingate-migrations');
  await cp(migrationsDir, dir, { recursive: true });
  return dir;
}

describe('the migration runner', () => {
  it('applies every migration once and records its checksum', async () => {
    const files = await readMigrations();
    const rows = await db.sql<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations order by version`;
    expect(rows).toEqual(files.map((f) => ({ name: f.name, checksum: f.checksum })));
    expect(await migrationsApplied(db.sql)).toBe(true);
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await migrate(db.sql)).toEqual([]);
  });

  it('applies a new migration, then refuses to run once an applied one is edited', async () => {
    const dir = await copyOfMigrations();
    await writeFile(join(dir, '9000_probe.sql'), 'create table migration_probe (id int);');
    expect(await migrate(db.sql, dir)).toEqual(['9000_probe.sql']);
    await appendFile(join(dir, '9000_probe.sql'), '\n-- edited after landing\n');
    await expect(migrate(db.sql, dir)).rejects.toBeInstanceOf(MigrationError);
  });

  it('refuses a database that has a migration this build does not know', async () => {
    // 9000_probe.sql is applied (previous test) but absent from the real folder
    await expect(migrate(db.sql)).rejects.toBeInstanceOf(MigrationError);
    expect(await migrationsApplied(db.sql)).toBe(true);
  });

  it('refuses a badly named migration file and applies nothing', async () => {
    const dir = await copyOfMigrations();
    await writeFile(join(dir, '9001 bad name.sql'), 'create table never_created (id int);');
    await expect(migrate(db.sql, dir)).rejects.toBeInstanceOf(MigrationError);
    const [row] = await db.sql`select to_regclass('never_created') as t`;
    expect(row?.t).toBeNull();
  });

  it('rolls back every pending migration when one fails', async () => {
    const dir = await copyOfMigrations();
    await writeFile(join(dir, '9002_good.sql'), 'create table half_applied (id int);');
    await writeFile(join(dir, '9003_broken.sql'), 'create tabel oops;');
    await writeFile(join(dir, '9000_probe.sql'), 'create table migration_probe (id int);'); // as applied
    await expect(migrate(db.sql, dir)).rejects.toThrow(/tabel/);
    const [row] = await db.sql`select to_regclass('half_applied') as t`;
    expect(row?.t).toBeNull();
  });
});

describe('the migration files', () => {
  const folder = async (files: Record<string, string>) => {
    const dir = await temporaryDir('fingate-migration-files');
    for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
    return dir;
  };

  it('are the .sql files of the folder, by version; anything else there is not one', async () => {
    const dir = await folder({ '0002_second.sql': 'select 2;', 'README.md': '# notes', '0001_first.sql': 'select 1;' });
    expect((await readMigrations(dir)).map((m) => [m.version, m.name])).toEqual([
      [1, '0001_first.sql'],
      [2, '0002_second.sql'],
    ]);
  });

  it.each([['v0001_first.sql'], ['0001_first.sql.sql'], ['001_first.sql'], ['0001_First.sql']])('refuse a file named %s (MigrationError)', async (name) => {
    const dir = await folder({ [name]: 'select 1;' });
    await expect(readMigrations(dir)).rejects.toMatchObject({ name: 'MigrationError' });
  });

  it('refuse two files with the same version (MigrationError)', async () => {
    const dir = await folder({ '0001_first.sql': 'select 1;', '0001_again.sql': 'select 1;' });
    await expect(readMigrations(dir)).rejects.toMatchObject({ name: 'MigrationError' });
  });
});

describe.skipIf(!realServer)('two instances migrating one new database at once (needs DATABASE_URL)', () => {
  it('apply each migration once: one applies them all, the other finds nothing left to do', async () => {
    const empty = await emptyServerDatabase(process.env.DATABASE_URL!);
    const [a, b] = [await openDatabase({ url: empty.url, max: 1 }), await openDatabase({ url: empty.url, max: 1 })];
    try {
      const all = (await readMigrations()).map((m) => m.name);
      const applied = await Promise.all([migrate(a.sql), migrate(b.sql)]);
      expect(applied.sort((x, y) => y.length - x.length)).toEqual([all, []]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await empty.drop();
    }
  });
});
