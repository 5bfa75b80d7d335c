import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/db/data-dir-lock.ts';
import { StartupError } from '../../src/errors.ts';
import { crowdStep } from '../support/lock-crowd.ts';

const CROWD_MODULE = fileURLToPath(new URL('../support/lock-crowd.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the lock on an embedded data directory', () => {
  let dir: string;
  const lockFile = () => join(dir, 'lock');
  const takeoverFile = () => join(dir, 'lock.takeover');
  const writeLock = (holder: object) => writeFile(lockFile(), `${JSON.stringify(holder)}\n`);
  /** The pid of a process that has exited. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fingate-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is held by one opener at a time; the second learns the holder, and may take it once released', async () => {
    const first = await lockDataDir(dir);
    expect(first.lock).toBeDefined();
    expect((await lockDataDir(dir)).holder).toMatchObject({ pid: process.pid, host: hostname() });
    await first.lock!.release();
    const again = await lockDataDir(dir);
    expect(again.lock).toBeDefined();
    await again.lock!.release();
    // nothing is left behind: no lock, no drafts
    expect(await readdir(dir)).toEqual([]);
  });

  it('is taken over from a process that is gone, leaving nothing else in the folder', async () => {
    await writeLock({ pid: deadPid(), host: hostname() });
    const attempt = await lockDataDir(dir);
    expect(attempt.lock).toBeDefined();
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
    // no takeover, no drafts, no stale lock set aside
    expect(await readdir(dir)).toEqual(['lock']);
    await attempt.lock!.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('is taken over from a process that is gone even when another process died removing it, leaving its takeover behind', async () => {
    await writeLock({ pid: deadPid(), host: hostname() });
    await writeFile(takeoverFile(), `${JSON.stringify({ pid: deadPid(), host: hostname() })}\n`);
    const attempt = await lockDataDir(dir);
    expect(attempt.lock).toBeDefined();
    expect(await readdir(dir)).toEqual(['lock']);
    await attempt.lock!.release();
  });

  it('is taken over only once a live process already removing the stale lock is done, never cutting it short', async () => {
    const stale = { pid: deadPid(), host: hostname() };
    await writeLock(stale);
    const takeover = `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`;
    await writeFile(takeoverFile(), takeover);
    const attempt = lockDataDir(dir);
    await sleep(50);
    expect(await readFile(takeoverFile(), 'utf8')).toBe(takeover);
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual(stale);
    // the remover finishes
    await unlink(lockFile());
    await unlink(takeoverFile());
    expect((await attempt).lock).toBeDefined();
  });

  it.skipIf(process.platform !== 'linux')('is taken over when its pid now belongs to a process that started later (Linux)', async () => {
    await writeLock({ pid: process.pid, host: hostname(), started: '1' });
    const attempt = await lockDataDir(dir);
    expect(attempt.lock).toBeDefined();
    await attempt.lock!.release();
  });

  it.skipIf(process.platform !== 'linux')('is taken over when the machine restarted since it was taken (Linux)', async () => {
    await writeLock({ pid: process.pid, host: hostname(), boot: 'an-earlier-boot' });
    const attempt = await lockDataDir(dir);
    expect(attempt.lock).toBeDefined();
    await attempt.lock!.release();
  });

  it('is never taken from a process on another host, whose liveness cannot be seen from here', async () => {
    await writeLock({ pid: deadPid(), host: `not-${hostname()}` });
    expect((await lockDataDir(dir)).holder).toMatchObject({ host: `not-${hostname()}` });
  });

  it.each([['garbage'], ['null'], [JSON.stringify({ host: hostname() })], [JSON.stringify({ pid: process.pid })], [JSON.stringify({ pid: '1', host: hostname() })]])(
    'refuses a lock file it cannot read as one (%s), rather than guess',
    async (text) => {
      await writeFile(lockFile(), text);
      await expect(lockDataDir(dir)).rejects.toBeInstanceOf(StartupError);
    },
  );

  it('holds for a live process whose lock names neither boot nor start time (as one written off Linux does)', async () => {
    await writeLock({ pid: process.pid, host: hostname() });
    expect((await lockDataDir(dir)).holder).toMatchObject({ pid: process.pid });
  });

  it('holds for a live process this user may not signal (pid 1, when not root)', async () => {
    await writeLock({ pid: 1, host: hostname() });
    expect((await lockDataDir(dir)).holder).toMatchObject({ pid: 1 });
  });

  it.skipIf(process.platform !== 'linux')('names its holder by pid, host, boot id and start time (Linux), as proc(5) gives them', async () => {
    const attempt = await lockDataDir(dir);
    // starttime is field 22 of /proc/<pid>/stat; field 2, the command, may hold spaces and parentheses
    const started = /\)\s+\S+(?:\s+\S+){18}\s+(\d+)/.exec(readFileSync('/proc/self/stat', 'utf8'))![1];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), boot, started });
    await attempt.lock!.release();
  });

  it('gives up (StartupError) on a lock that never settles: a dangling link in its place', { timeout: 10_000 }, async () => {
    await symlink(join(dir, 'nowhere'), lockFile());
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(StartupError);
  });

  /*
   * Processes in one folder, each in a loop of `crowdStep`s: none may ever fail to take the lock or
   * find it held, fail to release it, nor find another inside.
   */

  /** Another process doing what `crowdStep` does (with a stale lock of its own) until stopped. */
  async function crowd(name: string) {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { register } from 'tsx/esm/api';
         register();
         const { crowdStep } = await import(${JSON.stringify(CROWD_MODULE)});
         const [dir, stale] = process.argv.slice(1);
         for (let n = 0; ; n++) {
           await crowdStep(dir, stale);
           if (n === 0) console.log('crowding');
         }`,
        dir,
        await staleLock(name),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    await Promise.race([once(child.stdout!, 'data'), exited]);
    return {
      pid: child.pid,
      /** Stops it; resolves with its exit code if it had stopped by itself (an error). */
      async stop() {
        const code = child.exitCode;
        child.kill('SIGKILL');
        await exited;
        return code;
      },
    };
  }

  /** A lock file of a process that is gone, aside in the folder, to be linked into place. */
  async function staleLock(name: string) {
    const path = join(dir, `stale-${name}`);
    await writeFile(path, `${JSON.stringify({ pid: deadPid(), host: hostname() })}\n`);
    return path;
  }

  it.each([[2], [3]])('is taken, or found held by another, never an error, by %i processes replacing stale locks in one folder', async (processes) => {
    const others = await Promise.all(Array.from({ length: processes - 1 }, (_, n) => crowd(`other-${n}`)));
    const stale = await staleLock('self');
    let taken = 0;
    try {
      for (let n = 0; n < 300; n++) if (await crowdStep(dir, stale)) taken++;
    } finally {
      expect(await Promise.all(others.map((other) => other.stop()))).toEqual(others.map(() => null));
    }
    expect(taken).toBeGreaterThan(0);
  });

  it('is released without error when its file is already gone (deleted by hand)', async () => {
    const attempt = await lockDataDir(dir);
    await unlink(lockFile());
    await attempt.lock!.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('is not removed by a former holder once another process has taken it over', async () => {
    const first = await lockDataDir(dir);
    const successor = { pid: process.pid + 1, host: hostname() };
    await writeLock(successor); // as if this process had been presumed gone and replaced
    await first.lock!.release();
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual(successor);
  });
});
