import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { toGlobalId } from '../../src/ids.ts';
import { realServer } from '../support/database.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';
import { seededServerDatabase, startGatewayProcess, type GatewayProcess } from '../support/server-process.ts';

/*
 * Two gateway processes on one PostgreSQL: an activation made through one is enforced by the other
 * within a second (LISTEN/NOTIFY). Needs a real server; the embedded database lives inside one
 * process, where activations apply in-process.
 */
describe.skipIf(!realServer)('two gateway instances on one PostgreSQL (needs DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof seededServerDatabase>>;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let compliance: string;
  let advisor: string;

  const post = async (gateway: GatewayProcess, token: string, query: string, variables?: object) => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: { extensions: { code: string; decision?: { policy: string } } }[] };
  };
  const until = async (check: () => Promise<boolean>, ms = 10_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (await check()) return true;
    return false;
  };

  beforeAll(async () => {
    const dir = await copyOfPolicies();
    database = await seededServerDatabase({ customers: 20 });
    const env = { FINGATE_POLICIES_DIR: dir };
    [a, b] = await Promise.all([startGatewayProcess(database.url, { env }), startGatewayProcess(database.url, { env })]);
    compliance = await mintToken(DEV_JWT_SECRET, { sub: 'officer', roles: ['compliance'] });
    advisor = await mintToken(DEV_JWT_SECRET, { sub: 'adv', roles: ['advisor'], institutionId: toGlobalId('Institution', 1) });
    await writeAccessV5(dir);
    const loaded = (g: GatewayProcess) => async () => (await post(g, compliance, '{ policies { name version } }')).data?.policies.some((p: any) => p.name === 'access' && p.version === '5');
    expect(await until(loaded(a))).toBe(true);
    expect(await until(loaded(b))).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
    await database?.drop();
  });

  it('bootstraps the first activation once, however many instances start together', async () => {
    const response = await post(a, compliance, '{ policies { name version mode activatedBy } }');
    const enforced = response.data.policies.filter((p: any) => p.mode === 'ENFORCE');
    expect(enforced.map((p: any) => `${p.name}@${p.version}`).sort()).toEqual(['access@4', 'aml@2', 'audit@3', 'cooling-off@1', 'disclosure@1', 'licensing@1', 'privacy@2', 'risk-questionnaire@1', 'suitability@2']);
  });

  it('enforces on the second instance, within a second, a version activated through the first', async () => {
    const customers = '{ customers { totalCount } }';
    expect((await post(b, advisor, customers)).errors).toBeUndefined();
    const activated = await post(a, compliance, `mutation { activatePolicy(input: { name: "access", version: "5", mode: ENFORCE }) { mode } }`);
    const started = Date.now();
    expect(activated.data.activatePolicy.mode).toBe('ENFORCE');
    const enforced = await until(async () => (await post(b, advisor, customers)).errors?.[0]?.extensions.decision?.policy === 'access@5', 5000);
    const elapsed = Date.now() - started;
    expect(enforced).toBe(true);
    expect(elapsed).toBeLessThan(1000);
  });
});
