import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: a new database on the server in DATABASE_URL, or
 * an in-memory embedded one when it is unset, so `npm test` runs against both.
 */
export async function freshDatabase(): Promise<Database & { drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    const db = await openDatabase({ memory: true });
    await migrate(db.sql);
    return { ...db, drop: () => db.close() };
  }
  const empty = await emptyServerDatabase(server);
  const db = await openDatabase({ url: empty.url, max: 20 });
  await migrate(db.sql);
  return {
    ...db,
    async drop() {
      await db.close();
      await empty.drop();
    },
  };
}

/**
 * A new, empty (unmigrated) database on the PostgreSQL server at `server`, for tests that migrate
 * it themselves or hand its URL to a command; `drop()` removes it, ending its connections.
 */
export async function emptyServerDatabase(server: string, prefix = 'fingate_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Whether tests run against a real PostgreSQL server (some faults only exist there). */
export const realServer = Boolean(process.env.DATABASE_URL);
