import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionProblem, createClient, openDatabase, type Database } from '../../src/db/database.ts';
import { StartupError } from '../../src/errors.ts';
import { realServer } from '../support/database.ts';
import { temporaryDir } from '../support/temp.ts';

/*
 * Opening the database: a PostgreSQL server, or the embedded one in a data directory (run by the
 * first process to lock it, reached by the others through the URL it publishes there), and the
 * client settings every query relies on.
 */

describe('a database client', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ url: process.env.DATABASE_URL, memory: true });
  });
  afterAll(() => db?.close());

  it('runs in UTC, and keeps calendar dates as the strings they are, both ways', async () => {
    const sql = createClient(db.url, { max: 1 });
    try {
      const [row] = await sql`select current_setting('TimeZone') as zone, '2024-02-29'::date as leap, ${'2024-03-01'}::date as sent`;
      expect(row).toEqual({ zone: 'UTC', leap: '2024-02-29', sent: '2024-03-01' });
    } finally {
      await sql.end();
    }
  });

  it('reports every statement it sends to the debug callback', async () => {
    const sent: string[] = [];
    const sql = createClient(db.url, { max: 1, debug: (_connection, query) => sent.push(query) });
    try {
      await sql`select 41 + 1 as answer`;
      expect(sent).toContain('select 41 + 1 as answer');
    } finally {
      await sql.end();
    }
  });
});

describe('opening a PostgreSQL server', () => {
  it.each([['mysql://db.example/app'], ['postgresx://db.example/app'], ['db.example:5432/app'], ['not a url']])('refuses %s as DATABASE_URL (StartupError)', async (url) => {
    await expect(openDatabase({ url })).rejects.toBeInstanceOf(StartupError);
  });

  it('refuses a server it cannot reach (StartupError), rather than open a client that never works', async () => {
    await expect(openDatabase({ url: 'postgres://postgres@127.0.0.1:1/nowhere' })).rejects.toBeInstanceOf(StartupError);
  });

  describe.skipIf(!realServer)('one it can reach (needs DATABASE_URL)', () => {
    const server = process.env.DATABASE_URL!;

    it('takes postgres:// and postgresql:// URLs alike, and is not the embedded database', async () => {
      for (const protocol of ['postgres:', 'postgresql:']) {
        const url = new URL(server);
        url.protocol = protocol;
        const db = await openDatabase({ url: url.toString() });
        try {
          expect(db.embedded).toBe(false);
          expect(await db.sql`select 1 as n`).toEqual([{ n: 1 }]);
        } finally {
          await db.close();
        }
      }
    });

    it('names its sessions fingate (application_name), so operators can tell them apart', async () => {
      const db = await openDatabase({ url: server });
      try {
        expect(await db.sql`select current_setting('application_name') as app`).toEqual([{ app: 'fingate' }]);
      } finally {
        await db.close();
      }
    });

    it('opens no more connections than asked for', async () => {
      const db = await openDatabase({ url: server, max: 2 });
      try {
        const rows = await Promise.all(Array.from({ length: 6 }, () => db.sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.05)`));
        expect(new Set(rows.map(([row]) => row!.pid)).size).toBe(2);
      } finally {
        await db.close();
      }
    });

    it('closes within about five seconds, ending a query still running', async () => {
      const db = await openDatabase({ url: server, max: 1 });
      const running = db.sql`select pg_sleep(20)`.catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      await db.close();
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(await running).toMatchObject({ code: 'CONNECTION_DESTROYED' });
    });
  });
});

describe('opening the embedded database', () => {
  it('keeps nothing on disk in memory, even when given a data directory', async () => {
    const dataDir = join(await temporaryDir('fingate-memory'), 'unused');
    const db = await openDatabase({ memory: true, dataDir });
    try {
      expect(db.embedded).toBe(true);
      expect(await db.sql`select 1 as n`).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    // closed means its server is gone too
    const stale = createClient(db.url, { max: 1 });
    await expect(stale`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await stale.end();
  });

  describe('in a data directory', () => {
    let dataDir: string;
    let first: Database;
    const lockHolder = async () => JSON.parse(await readFile(join(dataDir, 'lock'), 'utf8')) as { pid: number; host: string };

    beforeAll(async () => {
      // two levels that do not exist yet
      dataDir = join(await temporaryDir('fingate-embedded-db'), 'var', 'data');
      first = await openDatabase({ dataDir });
    });
    afterAll(() => first?.close());

    it('is run by the first opener, which locks the directory and publishes its URL there for the owner only', async () => {
      expect(first.embedded).toBe(true);
      expect(await lockHolder()).toMatchObject({ pid: process.pid, host: hostname() });
      expect(await readFile(join(dataDir, 'postgres.url'), 'utf8')).toBe(`${first.url}\n`);
      expect((await stat(join(dataDir, 'postgres.url'))).mode & 0o777).toBe(0o600);
    });

    it('is reached through the first opener by a later one, which sees the same data and leaves it running on close', async () => {
      const second = await openDatabase({ dataDir });
      try {
        expect(second).toMatchObject({ embedded: true, url: first.url });
        await second.sql`create table if not exists shared_marks (n int)`;
        await second.sql`insert into shared_marks values (7)`;
      } finally {
        await second.close();
      }
      expect(await first.sql`select n from shared_marks`).toEqual([{ n: 7 }]);
      expect(await lockHolder()).toMatchObject({ pid: process.pid });
    });

    it('refuses an exclusive opener (StartupError), naming the process that holds it', async () => {
      const refused = await openDatabase({ dataDir, exclusive: true }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StartupError);
      expect((refused as Error).message).toMatch(new RegExp(`\\bprocess ${process.pid}\\b`));
      expect((refused as Error).message).not.toContain(` on ${hostname()}`); // its own host goes without saying
    });
  });

  it('names the host of a holder on another machine when refusing an exclusive opener', async () => {
    const dataDir = await temporaryDir('fingate-remote-holder');
    await writeFile(join(dataDir, 'lock'), `${JSON.stringify({ pid: 4242, host: 'elsewhere.example' })}\n`);
    const refused = await openDatabase({ dataDir, exclusive: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as Error).message).toMatch(/\bprocess 4242 on elsewhere\.example\b/);
  });

  it('refuses (StartupError) to join a holder that has not published its URL yet', async () => {
    const dataDir = await temporaryDir('fingate-unpublished');
    await writeFile(join(dataDir, 'lock'), `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(StartupError);
  });

  it('on close removes its URL and lock, even when the URL was removed by hand already', async () => {
    const dataDir = await temporaryDir('fingate-closing');
    const kept = await openDatabase({ dataDir });
    await kept.close();
    expect((await readdir(dataDir)).sort()).toEqual(['pgdata']);
    const reopened = await openDatabase({ dataDir });
    await rm(join(dataDir, 'postgres.url'));
    await reopened.close();
    expect((await readdir(dataDir)).sort()).toEqual(['pgdata']);
  });
});

describe('the one-line reason a PostgreSQL server could not be reached', () => {
  const target = (query = '') => new URL(`postgres://app:hunter2@db.example:6543/ledger${query}`);
  const failure = (code: string, message = `connect ${code} db.example:6543`) => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNRESET', '?sslmode=require', /it does not accept TLS connections, which DATABASE_URL requires \(sslmode=require\)$/],
    ['ECONNRESET', '?ssl=true', /it does not accept TLS connections, which DATABASE_URL requires \(sslmode=true\)$/],
    ['ECONNRESET', '?sslmode=verify-full&ssl=false', /it does not accept TLS connections/],
    ['ECONNRESET', '', /: connect ECONNRESET db\.example:6543$/],
    ['ECONNRESET', '?sslmode=disable', /: connect ECONNRESET db\.example:6543$/],
    ['ECONNRESET', '?sslmode=prefer', /: connect ECONNRESET db\.example:6543$/],
    ['ECONNRESET', '?ssl=false', /: connect ECONNRESET db\.example:6543$/],
    ['ECONNREFUSED', '?sslmode=require', /: connection refused \(is PostgreSQL running and listening there\?\)$/],
    ['SELF_SIGNED_CERT_IN_CHAIN', '?sslmode=require', /: its TLS certificate is not trusted: connect SELF_SIGNED_CERT_IN_CHAIN/],
    ['ENOTFOUND', '', /: the host name db\.example does not resolve$/],
    ['EAI_AGAIN', '', /: the host name db\.example does not resolve$/],
    ['EHOSTUNREACH', '', /: no route to the host$/],
    ['ENETUNREACH', '', /: no route to the host$/],
    ['CONNECT_TIMEOUT', '', /: no answer before the connect timeout$/],
    ['ETIMEDOUT', '', /: no answer before the connect timeout$/],
    ['EPIPE', '', /: connect EPIPE db\.example:6543$/],
  ])('%s with DATABASE_URL%s: names the server and the cause', (code, query, cause) => {
    const reason = connectionProblem(failure(code), target(query));
    expect(reason).toMatch(/^cannot reach the database at db\.example:6543\/ledger: /);
    expect(reason).toMatch(cause);
    expect(reason).not.toContain('hunter2');
  });
});
