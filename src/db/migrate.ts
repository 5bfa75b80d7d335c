import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from './database.ts';

/** The folder of forward-only SQL migrations, `NNNN_description.sql`. */
export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** One migration file: its version (the number), name and content checksum. */
export interface Migration {
  version: number;
  name: string;
  checksum: string;
  sql: string;
}

/** A migration problem an operator must fix (edited file, unknown version, bad file name). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

// Arbitrary but fixed: every instance takes the same advisory lock, so one migrates at a time.
const LOCK_KEY = 7_311_846_101;

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    if (!match) throw new MigrationError(`${file}: migration files are named NNNN_description.sql`);
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    const version = Number(match[1]);
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    if (migrations.at(-1)?.version === version) throw new MigrationError(`${file}: version ${match[1]} is used twice`);
    migrations.push({ version, name: file, checksum: sha256(sql), sql });
  }
  return migrations;
}

/**
 * Applies the pending migrations in order, in one transaction, under an advisory lock, and records
 * each with its checksum. Refuses to run when an applied migration was edited or is unknown here.
 * @returns the names of the migrations it applied
 */
export async function migrate(sql: Sql, dir = migrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        version     integer primary key,
        name        text not null,
        checksum    text not null,
        applied_at  timestamptz not null default now()
      )`;
    const applied = await tx<{ version: number; name: string; checksum: string }[]>`
      select version, name, checksum from schema_migrations order by version`;
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of applied) {
      const file = known.get(row.version);
      if (!file) throw new MigrationError(`the database has migration ${row.name}, which this build does not have`);
      if (file.checksum !== row.checksum) {
        // Stryker disable next-line StringLiteral,MethodExpression: message text, tests assert codes
        throw new MigrationError(`${file.name} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`);
      }
    }
    const done = new Set(applied.map((row) => row.version));
    const pending = migrations.filter((m) => !done.has(m.version));
    for (const m of pending) {
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
    }
    return pending.map((m) => m.name);
  });
}

/** Whether every migration of this build is applied (the readiness check). */
export async function migrationsApplied(sql: Sql, dir = migrationsDir): Promise<boolean> {
  const migrations = await readMigrations(dir);
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from schema_migrations where version = any(${migrations.map((m) => m.version)})`;
  return row?.n === migrations.length;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
