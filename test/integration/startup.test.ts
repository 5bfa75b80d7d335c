import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { fingate } from '../support/cli.ts';

describe('start-up with bad configuration', () => {
  it.each([
    ['an unreachable DATABASE_URL', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, /cannot reach the database/],
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

  it('exits non-zero with one line when the port is in use', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const run = fingate(['start', '--memory'], { PORT: String(port) });
      expect(await run.exited).toBe(1);
      expect(run.output().stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('a running gateway', () => {
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
