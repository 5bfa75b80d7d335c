import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET, loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seedUnderPolicies } from '../../src/seed/seed.ts';
import { fingate as cli } from '../support/cli.ts';
import { realServer } from '../support/database.ts';
import { catalogue, modules } from '../support/modules.ts';
import { temporaryDir } from '../support/temp.ts';

/** `fingate <args>` as operators run it, on any free port unless told otherwise. */
const fingate = (args: string[], env: Record<string, string>, until?: (output: string) => boolean) => cli(args, { PORT: '0', ...env }, until);

/** Runs `fingate <args>` to completion; resolves with its exit code and the lines it wrote to stderr. */
async function failure(args: string[], env: Record<string, string>) {
  const run = fingate(args, env);
  const code = await run.exited;
  return { code, lines: run.output().stderr.trim().split('\n'), stdout: run.output().stdout };
}

/** A loopback TCP listener: `silent` accepts connections and never answers. */
async function tcpListener(port = 0): Promise<{ port: number; server: Server }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('start-up with bad configuration', () => {
  it.each([
    ['an unreachable DATABASE_URL', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, /cannot reach the database at 127\.0\.0\.1:1\/nowhere: connection refused/],
    ['a malformed DATABASE_URL', { DATABASE_URL: 'mysql:/oops' }, /DATABASE_URL is not a valid postgres:\/\/ URL/],
    ['a bad PORT', { PORT: 'eighty' }, /PORT must be an integer/],
    ['production without a real secret', { NODE_ENV: 'production' }, /NODE_ENV=production needs/],
  ])('exits non-zero with one line naming the problem: %s', async (_name, env, pattern) => {
    const run = fingate(['start', '--memory'], env);
    expect(await run.exited).toBe(1);
    const { stderr } = run.output();
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(pattern);
  });

  it('exits non-zero with one line when the port is in use, before migrating or seeding anything', async () => {
    const blocker = await tcpListener();
    try {
      const { code, lines, stdout } = await failure(['start', '--memory'], { PORT: String(blocker.port) });
      expect(code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`port ${blocker.port} on 127.0.0.1 is already in use`));
      expect(stdout).not.toMatch(/migrated|seeding/);
    } finally {
      blocker.server.close();
    }
  });

  it('gives up on a database address that accepts connections but never answers, saying so', async () => {
    const silent = await tcpListener();
    try {
      const { code, lines } = await failure(['start'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${silent.port}/fingate` });
      expect(code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/cannot reach the database at .*: no answer before the connect timeout/);
    } finally {
      silent.server.close();
    }
  });
});

describe.skipIf(!realServer)('start-up against a PostgreSQL server that refuses the connection (needs DATABASE_URL)', () => {
  const server = process.env.DATABASE_URL!;
  const withUrl = (edit: (url: URL) => void) => {
    const url = new URL(server);
    edit(url);
    return { DATABASE_URL: url.toString() };
  };
  const unique = `fingate_missing_${randomBytes(4).toString('hex')}`;

  it('names a database that does not exist instead of its SQLSTATE', async () => {
    const { code, lines } = await failure(['start'], withUrl((url) => (url.pathname = `/${unique}`)));
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`database "${unique}" does not exist`));
    expect(lines[0]).not.toMatch(/3D000/);
  });

  it('names a role the server rejects instead of its SQLSTATE', async () => {
    const { code, lines } = await failure(['migrate'], withUrl((url) => (url.username = unique)));
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`role "${unique}"`));
    expect(lines[0]).not.toMatch(/28000/);
  });

  it('says the server does not accept TLS when DATABASE_URL requires it', async ({ skip }) => {
    const admin = postgres(server, { max: 1, onnotice: () => {} });
    const [row] = await admin`show ssl`.finally(() => admin.end());
    skip(row?.ssl === 'on', 'this server accepts TLS');
    const { code, lines } = await failure(['start'], withUrl((url) => url.searchParams.set('sslmode', 'require')));
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/does not accept TLS connections/);
  });
});

describe('fingate seed', () => {
  it('refuses a database that already has customers with one line, not a stack', async () => {
    const dataDir = join(await temporaryDir('fingate-seeded'), 'data');
    const db = await openDatabase({ dataDir });
    try {
      await migrate(db.sql);
      await seedUnderPolicies(db, { customers: 1, seed: 'test', timeZone: loadConfig({}).timeZone }, { dir: loadConfig({}).policiesDir, modules, catalogue, log: () => {} });
    } finally {
      await db.close();
    }
    const { code, lines } = await failure(['seed', '--customers', '5'], { FINGATE_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fingate seed: the database already has customers/);
  });
});

describe('a running gateway', () => {
  it('holds its port from the start, answering 503 until it serves', async () => {
    const free = await tcpListener();
    await new Promise((resolve) => free.server.close(resolve));
    const run = fingate(['start', '--memory'], { PORT: String(free.port), FINGATE_DEMO_CUSTOMERS: '100' }, (out) => /seeding/.test(out));
    try {
      await run.seen;
      const starting = await fetch(`http://127.0.0.1:${free.port}/healthz`);
      expect(starting.status).toBe(503);
      expect(starting.headers.get('retry-after')).toBe('1');
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });

  it('answers /healthz and /readyz, and finishes in-flight requests on SIGTERM', async () => {
    const run = fingate(['start', '--memory'], { PORT: '0' }, (out) => /fingate serving/.test(out) && /auditor/.test(out));
    await run.seen;
    const url = /fingate serving (http:\/\/\S+)\/graphql/.exec(run.output().stdout)![1]!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // the start-up output carries a ready-to-paste token per role
    expect(run.output().stdout).toMatch(/customer \(customer [\w-]+\):\n\s+Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+/);

    const token = await mintToken(DEV_JWT_SECRET, { sub: 'ops', roles: ['compliance'] });
    const inFlight = Array.from({ length: 10 }, () =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ transactions(first: 100) { totalCount edges { node { product { name } customer { name } } } } }' }),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    run.child.kill('SIGTERM');
    const statuses = await Promise.all(inFlight.map((p) => p.then((r) => r.status, () => 'refused')));
    // every request the server accepted before the signal got its full answer
    expect(statuses.filter((s) => s !== 'refused').every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(200);
    expect(await run.exited).toBe(0);
  });
});
