import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { postGraphQL } from '../support/http.ts';
import { copyOfPolicies, writeAccessV5 } from '../support/policies.ts';
import { runEmbeddedCommand, startEmbeddedGatewayProcess, type GatewayProcess } from '../support/server-process.ts';

/*
 * One process owns an embedded data directory: a running gateway holds its lock, CLI commands go
 * through it, a second gateway is refused, and a lock left by a killed one is taken over.
 */
describe('one writer per embedded data directory', () => {
  let root: string;
  let policies: string;
  let dataDir: string;
  let gateway: GatewayProcess;
  let compliance: string;
  const env = () => ({ FINGATE_POLICIES_DIR: policies });
  const start = () => startEmbeddedGatewayProcess(dataDir, { env: env() });
  const lockHolder = async () => (JSON.parse(await readFile(join(dataDir, 'lock'), 'utf8')) as { pid: number }).pid;
  const accessModes = async () => {
    const response = await postGraphQL<{ policies: { name: string; version: string; mode: string }[] }>(gateway.url, '{ policies { name version mode } }', { token: compliance });
    return Object.fromEntries(response.data!.policies.filter((p) => p.name === 'access').map((p) => [p.version, p.mode]));
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fingate-embedded-'));
    dataDir = join(root, 'data');
    policies = await copyOfPolicies();
    compliance = await mintToken(DEV_JWT_SECRET, { sub: 'officer', roles: ['compliance'] });
    gateway = await start();
    // a version written after the first start is loaded, not enforced
    await writeAccessV5(policies);
    for (const end = Date.now() + 10_000; !(await accessModes())[5] && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 50));
  }, 120_000);

  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await rm(root, { recursive: true, force: true });
    await rm(policies, { recursive: true, force: true });
  });

  it('refuses a second gateway on the same data directory with one line naming the holder', async () => {
    const second = await runEmbeddedCommand(dataDir, ['start'], env());
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`process ${gateway.child.pid}`);
    expect(await lockHolder()).toBe(gateway.child.pid);
  });

  it('enforces, within a second, a version activated from the CLI while the gateway runs', async () => {
    expect(await accessModes()).toEqual({ 1: 'INACTIVE', 2: 'INACTIVE', 3: 'INACTIVE', 4: 'ENFORCE', 5: 'INACTIVE' });
    const activated = await runEmbeddedCommand(dataDir, ['policy', 'activate', 'access', '5'], env());
    const done = Date.now();
    expect(activated).toMatchObject({ code: 0, stderr: '' });
    let modes = await accessModes();
    while (modes[5] !== 'ENFORCE' && Date.now() - done < 5000) modes = await accessModes();
    expect(modes).toEqual({ 1: 'INACTIVE', 2: 'INACTIVE', 3: 'INACTIVE', 4: 'INACTIVE', 5: 'ENFORCE' });
    expect(Date.now() - done).toBeLessThan(1000);
    // the CLI went through the gateway and left its lock alone
    expect(await lockHolder()).toBe(gateway.child.pid);
  });

  it('runs migrate through the running gateway', async () => {
    expect(await runEmbeddedCommand(dataDir, ['migrate'], env())).toMatchObject({ code: 0, stderr: '' });
    expect(await accessModes()).toEqual({ 1: 'INACTIVE', 2: 'INACTIVE', 3: 'INACTIVE', 4: 'INACTIVE', 5: 'ENFORCE' });
  });

  it('keeps a CLI activation across a restart', async () => {
    await gateway.kill('SIGTERM');
    gateway = await start();
    expect(await accessModes()).toEqual({ 1: 'INACTIVE', 2: 'INACTIVE', 3: 'INACTIVE', 4: 'INACTIVE', 5: 'ENFORCE' });
  });

  it('takes over the lock a killed gateway left behind', async () => {
    const killed = gateway.child.pid;
    await gateway.kill('SIGKILL');
    expect(await lockHolder()).toBe(killed);
    gateway = await start();
    expect(await lockHolder()).toBe(gateway.child.pid);
    expect(await accessModes()).toEqual({ 1: 'INACTIVE', 2: 'INACTIVE', 3: 'INACTIVE', 4: 'INACTIVE', 5: 'ENFORCE' });
  });
});
