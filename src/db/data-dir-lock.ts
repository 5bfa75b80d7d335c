import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StartupError } from '../errors.ts';

/**
 * The process holding a data directory, as its lock file names it: enough for another process to
 * tell, later, whether it still runs.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** The kernel's boot id (Linux): a lock from before a reboot is stale whatever its pid. */
  boot?: string;
  /** The process's start time in clock ticks since boot (Linux): tells a reused pid from the holder. */
  started?: string;
}

/** A held lock on a data directory. */
export interface DataDirLock {
  /** Removes the lock file, if it is still this process's. */
  release(): Promise<void>;
}

/** Either the lock, or the live process that holds it. */
export type LockAttempt = { lock: DataDirLock; holder?: undefined } | { lock?: undefined; holder: LockHolder };

/**
 * Takes the exclusive lock on a data directory (its file `lock`), or names the live process that
 * holds it.
 *
 * A lock file, not flock(2): Node has no flock without a native addon, and a file names its holder
 * in the refusal. The file appears complete or not at all: it is written aside and hard-linked
 * into place, and link(2) fails when the name exists. A holder that is gone (no such pid, a pid
 * reused by a later process, a reboot since) is replaced; one on another host is never judged
 * from here, so it holds until removed by hand.
 */
export async function lockDataDir(dir: string): Promise<LockAttempt> {
  try {
    return await takeLock(join(dir, 'lock'));
  } catch (error) {
    // a folder this user cannot write, a file system without hard links…
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw error instanceof StartupError ? error : new StartupError(`cannot lock ${dir}: ${(error as Error).message}`);
  }
}

async function takeLock(path: string): Promise<LockAttempt> {
  const own = `${JSON.stringify(ownIdentity())}\n`;
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, own);
  try {
    // each round takes the lock, finds it held, or removes a stale one (or waits for the process
    // removing it): only a crowd of processes replacing stale locks needs more than two, and three
    // that each leave a stale lock in a loop took up to six
    for (let round = 0; round < 20; round++) {
      try {
        await link(draft, path);
        return { lock: { release: () => removeIfSame(path, own) } };
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const held = await readIfAny(path);
      if (held === undefined) continue;
      const holder = parseHolder(held, path);
      if (isRunning(holder)) return { holder };
      await removeStale(path, held, draft);
    }
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw new StartupError(`${path} keeps changing hands`);
  } finally {
    await unlink(draft).catch(() => {});
  }
}

/** Whether the process a lock names may still run: only provably gone holders are not. */
function isRunning(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  const boot = bootId();
  if (holder.boot && boot && holder.boot !== boot) return false;
  if (holder.started) return startTime(holder.pid) === holder.started;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Deletes a stale lock, unless another process replaced it first. Removers take turns, through a
 * second lock file taken the same way (the remover's draft linked into place, so it names its
 * holder): a read followed by an unlink is safe under it, as only removers delete a lock that is
 * not theirs and no taker can link over an existing one. (Moving the lock aside to check it, and
 * putting a live one back, lets a third process take the free name meanwhile: two holders.)
 */
async function removeStale(path: string, stale: string, draft: string): Promise<void> {
  const takeover = `${path}.takeover`;
  try {
    await link(draft, takeover);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    return awaitTakeover(takeover);
  }
  try {
    if ((await readIfAny(path)) === stale) await unlink(path);
  } finally {
    await unlink(takeover);
  }
}

/**
 * Gives another process's takeover the milliseconds it takes, or deletes it if that process died
 * holding it, by the rule that judges the lock: no age would tell a dead remover from one the
 * machine paused, and cutting a live one short lets two removers run at once.
 *
 * Not atomic: when two processes find the same abandoned takeover and one deletes it and takes its
 * own before the other's unlink, that unlink deletes a live one, and two removers may run at once.
 * That needs a remover to die within its milliseconds, then two others to interleave within
 * microseconds; ruling it out would need a lock on this lock, with the same question.
 */
async function awaitTakeover(takeover: string): Promise<void> {
  const held = await readIfAny(takeover);
  if (held === undefined) return;
  if (isRunning(parseHolder(held, takeover))) await sleep(20);
  else await unlink(takeover).catch(ignoreMissing);
}

async function removeIfSame(path: string, content: string): Promise<void> {
  // a lock taken over while this process was presumed gone is not this process's to remove, and
  // one deleted meanwhile (by hand: no process deletes a live one) leaves nothing to do
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) await unlink(path).catch(ignoreMissing);
}

function parseHolder(text: string, path: string): LockHolder {
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (Number.isInteger(holder.pid) && typeof holder.host === 'string') return holder;
  } catch {
    // reported below
  }
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  throw new StartupError(`${path} is not a fingate lock; remove it if no fingate process uses this folder`);
}

function ownIdentity(): LockHolder {
  const boot = bootId();
  const started = startTime(process.pid);
  return { pid: process.pid, host: hostname(), ...(boot && { boot }), ...(started && { started }) };
}

const bootId = () => readProc('/proc/sys/kernel/random/boot_id')?.trim();

function startTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  // field 2, the command name, may hold spaces and parentheses: count from its closing one
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // not Linux, or no such process
  }
}

const readIfAny = (path: string) => readFile(path, 'utf8').catch(ignoreMissing);

const ignoreMissing = (error: unknown) => (errorCode(error) === 'ENOENT' ? undefined : Promise.reject(error));

const errorCode = (error: unknown) => (error as { code?: string }).code;
