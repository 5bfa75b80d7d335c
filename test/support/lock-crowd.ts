// One step of a crowd of processes sharing a data directory, for test/integration/data-dir-lock.test.ts:
// run in the test's process and, in a loop, in the processes it spawns.

import { link, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockDataDir } from '../../src/db/data-dir-lock.ts';

/**
 * Leaves a stale lock when none is there (as a crashed holder would), takes the lock, proves it is
 * this process's alone (a file only one process can create at a time), releases it. Resolves with
 * whether it took the lock; rejects on any error, another process inside included.
 */
export async function crowdStep(dir: string, stale: string): Promise<boolean> {
  await link(stale, join(dir, 'lock')).catch(() => {});
  const attempt = await lockDataDir(dir);
  if (!attempt.lock) return false;
  await writeFile(join(dir, 'inside'), '', { flag: 'wx' });
  await unlink(join(dir, 'inside'));
  await attempt.lock.release();
  return true;
}
