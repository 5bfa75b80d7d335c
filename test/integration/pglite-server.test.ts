import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Sql } from '../../src/db/database.ts';
import { servePGlite, type PGliteServer } from '../../src/db/pglite-server.ts';

/*
 * One PGlite backend, several postgres.js clients through its loopback server (the embedded
 * gateway and a CLI command): each client's transactions and queries run whole, never interleaved.
 */
describe('the embedded database served to several clients', () => {
  const password = 'test-password';
  let pglite: PGlite;
  let server: PGliteServer;
  const clients: Sql[] = [];
  const client = (secret = password) => {
    const sql = createClient(`postgres://postgres:${secret}@${server.address}/postgres`, { max: 1 });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    pglite = await PGlite.create();
    server = await servePGlite(pglite, password);
    await client()`create table marks (n int)`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((sql) => sql.end({ timeout: 1 })));
    await server.close();
    await pglite.close();
  });

  it('gives each client the role its login names, in every turn, and the others none', async () => {
    const reader = createClient(`postgres://postgres:${password}@${server.address}/postgres?role=pg_read_all_data`, { max: 1 });
    clients.push(reader);
    const owner = client();
    for (let i = 0; i < 3; i++) {
      expect(await reader`select current_user as who`).toEqual([{ who: 'pg_read_all_data' }]);
      expect(await owner`select current_user as who`).toEqual([{ who: 'postgres' }]);
    }
    await expect(reader`insert into marks values (0)`).rejects.toMatchObject({ code: '42501' });
  });

  it("keeps one client's open transaction from another, which waits for it to end", async () => {
    const [a, b] = [client(), client()];
    let counted: Promise<number> | undefined;
    await a
      .begin(async (tx) => {
        await tx`insert into marks values (1)`;
        counted = b<{ n: number }[]>`select count(*)::int as n from marks`.then(([row]) => row!.n);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await counted).toBe(0);
  });

  it("runs two clients' queued queries each from Bind to Sync, never one's Bind before the other's Execute", async () => {
    const [a, b, holder] = [client(), client(), client()];
    const select = (sql: Sql, n: number, who: string) => sql<{ n: number; who: string }[]>`select ${n}::int as n, ${who}::text as who`.then(([row]) => row);
    // prepared once, so later queries leave each client as Bind/Execute/Sync in one write
    await Promise.all([select(a, 0, 'a'), select(b, 0, 'b')]);
    let queries: Promise<unknown>[] = [];
    // both clients' queries pile up while a third holds the backend, then compete for it
    await holder.begin(async (tx) => {
      await tx`select 1`;
      queries = Array.from({ length: 50 }, (_, n) => [select(a, n, 'a'), select(b, n, 'b')]).flat();
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    const expected = Array.from({ length: 50 }, (_, n) => [{ n, who: 'a' }, { n, who: 'b' }]).flat();
    expect(await Promise.all(queries)).toEqual(expected);
  });

  it('rolls back what a client left open when it disconnected, and serves the next', async () => {
    const [a, b] = [client(), client()];
    await a
      .begin(async (tx) => {
        await tx`insert into marks values (2)`;
        await a.end({ timeout: 0 }); // the connection is cut mid-transaction
      })
      .catch(() => {});
    const [row] = await b<{ n: number }[]>`select count(*)::int as n from marks where n = 2`;
    expect(row!.n).toBe(0);
  });

  it('answers each query at once, not after TCP acknowledgement delays (about 40 ms a query otherwise)', async () => {
    const sql = client();
    await sql`select 1`;
    const started = performance.now();
    for (let n = 0; n < 50; n++) await sql`select ${n}::int as n`;
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a client without the password (28P01)', async () => {
    await expect(client('wrong')`select 1`).rejects.toMatchObject({ code: '28P01' });
  });
});
