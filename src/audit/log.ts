// Where audit records are written. A write's records go into its own transaction; the records of
// reads go in with those of concurrent requests (group commit): one multi-row INSERT, one commit
// for the whole batch, and each request released when its batch has committed. A few INSERTs may
// be on their way at once (each commit waits for the disk); while they are, the next batch
// gathers, so under load batches grow by themselves and no request waits for a timer: a batch
// leaves at the end of the event loop's turn in which its first record arrived. Alone, a request
// pays one round trip.

import type { Sql } from '../db/database.ts';
import type { VersionSet } from '../policy/runtime.ts';
import { bindObservers } from './observer.ts';
import { insertRecords, type AuditRecord } from './record.ts';

/** The audit log of one database. */
export interface AuditLog {
  /**
   * Writes records on a write's transaction. The INSERT is sent before this returns (the
   * transaction hook contract in src/policy/types.ts); the promise resolves when it has run.
   */
  writeIn(tx: Sql, records: readonly AuditRecord[]): Promise<void>;
  /** Writes records with those of concurrent requests; resolves once they are committed. */
  write(records: readonly AuditRecord[]): Promise<void>;
  /** `versions` with its observers bound to this log (see observer.ts). */
  bind(versions: VersionSet): VersionSet;
}

export interface AuditLogOptions {
  /** Records per INSERT at most; more wait for the next batch. @default 2000 */
  maxBatch?: number;
  /** INSERTs on their way at once; while all are, the next batch gathers. @default 2 */
  inFlight?: number;
}

interface Waiting {
  records: readonly AuditRecord[];
  resolve(): void;
  reject(error: unknown): void;
}

export function createAuditLog(sql: Sql, { maxBatch = 2000, inFlight = 2 }: AuditLogOptions = {}): AuditLog {
  let queue: Waiting[] = [];
  let flushing = 0;
  let scheduled = 0;

  /** One of at most `inFlight` flushers: inserts what is queued, batch after batch, until nothing is. */
  async function drain(): Promise<void> {
    flushing++;
    while (queue.length > 0) {
      const batch = take(maxBatch);
      try {
        await insertRecords(sql, batch.flatMap((w) => w.records));
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        await alone(batch, error);
      }
    }
    flushing--;
  }

  /** The requests of `maxBatch` records or fewer from the front of the queue (at least one). */
  function take(limit: number): Waiting[] {
    let count = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || count + queue[n]!.records.length <= limit)) count += queue[n++]!.records.length;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  }

  /** After a failed batch, each request's records on their own: one bad record fails only its request. */
  async function alone(batch: Waiting[], error: unknown): Promise<void> {
    if (batch.length === 1) return batch[0]!.reject(error);
    await Promise.all(
      batch.map((waiting) =>
        insertRecords(sql, waiting.records).then(
          () => waiting.resolve(),
          (e: unknown) => waiting.reject(e),
        ),
      ),
    );
  }

  const bound = new WeakMap<VersionSet, VersionSet>();
  const log: AuditLog = {
    writeIn(tx, records) {
      if (records.length === 0) return Promise.resolve();
      return insertRecords(tx, records)
        .execute()
        .then(() => undefined);
    },
    write(records) {
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, resolve, reject });
        // after this turn of the event loop: the requests finishing in it share the batch
        if (flushing + scheduled < inFlight) {
          scheduled++;
          setImmediate(() => {
            scheduled--;
            void drain();
          });
        }
      });
    },
    bind: (versions) => bindObservers(versions, log, bound),
  };
  return log;
}
