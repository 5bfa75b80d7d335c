import { appendFile, cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrate, migrationsApplied, migrationsDir, MigrationError, readMigrations } from '../../src/db/migrate.ts';
import { freshDatabase } from '../support/database.ts';
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
