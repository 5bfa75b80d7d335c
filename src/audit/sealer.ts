// The sealer: gives committed records their chain position, within a second of commit, and
// publishes signed checkpoints of the chain's head. One instance seals at a time (a transaction
// advisory lock; the others skip the round), and the database itself refuses a position that does
// not follow the one before it (0005's trigger), so two sealers can never fork the chain.
//
// Records are sealed in the order the sealer sees them committed, never by their identity: an
// insert that commits late (its id is lower than records already sealed) is found all the same.
// Each record carries its transaction's id (xid8); every record of a transaction older than the
// oldest one still running when a round read the table (its snapshot's xmin) is either visible
// to that round, and sealed, or was rolled back. That xmin is the next round's horizon: rounds
// read only records at or above it, so their cost follows what is new, not the table's size.

import { systemPermit } from '../data/system.ts';
import type { Sql } from '../db/database.ts';
import { checkPermit } from '../policy/permit.ts';
import { chainHash, GENESIS, recordColumns, type ChainRecord } from './chain.ts';
import { writeCheckpointFile, type Checkpoint, type Signer } from './checkpoint.ts';

/** Arbitrary but fixed: the sealing lock every instance takes. */
const SEAL_LOCK = 7_311_846_103;

/** The sealer reads every record for the system, not for a caller: the system path's permit. */
const permit = systemPermit('AuditEvent', 'audit');

export interface SealerOptions {
  sql: Sql;
  /** Signs checkpoints; none: the chain is sealed but no checkpoint is published. */
  signer?: Signer | undefined;
  /** Where each checkpoint is also written as a file (to ship off site). */
  checkpointDir?: string | undefined;
  /** Between sealing rounds. @default 500 */
  intervalMs?: number;
  /** A new checkpoint once the chain has grown and the last one is this old. @default 60000 */
  checkpointEveryMs?: number;
  /** Records per round at most. @default 10000 */
  batch?: number;
  log?: (message: string) => void;
}

export interface Sealer {
  /**
   * Seals every record committed before the call (waiting for another instance's round if one
   * runs), and returns how many this call sealed.
   */
  sealNow(): Promise<number>;
  /** Seals, then publishes a checkpoint of the head (the existing one if the head has not moved); null without a signer or records. */
  checkpointNow(): Promise<Checkpoint | null>;
  /** Stops the rounds (a round under way finishes). */
  close(): Promise<void>;
}

/** Starts sealing every `intervalMs`; with `intervalMs: 0`, only on `sealNow` (tests, the CLI). */
export function startSealer({ sql, signer, checkpointDir, intervalMs = 500, checkpointEveryMs = 60_000, batch = 10_000, log = (m) => console.error(m) }: SealerOptions): Sealer {
  // one thing at a time in this process: a timer round never overlaps an explicit sealNow
  let running: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = running.then(work, work);
    running = next.catch(() => {});
    return next;
  };

  /** One sealing transaction; -1 when another instance holds the lock (and `wait` is false). */
  async function round(wait: boolean): Promise<number> {
    checkPermit(permit, 'AuditEvent');
    return sql.begin(async (tx) => {
      if (wait) await tx`select pg_advisory_xact_lock(${SEAL_LOCK})`;
      else if (!(await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${SEAL_LOCK}) as locked`)[0]!.locked) return -1;
      const [head] = await tx<{ seq: string; hash: string; horizon: string }[]>`
        select seq, hash, horizon::text as horizon from audit_chain order by seq desc limit 1`;
      // one statement, one snapshot: the records read and the xmin that bounds what it missed
      const rows = await tx<(ChainRecord & { xid: string; xmin: string })[]>`
        select ${recordColumns(tx as unknown as Sql, 'audit_events')}, e.xid::text as xid,
               pg_snapshot_xmin(pg_current_snapshot())::text as xmin
          from audit_events e
         where e.xid >= ${head?.horizon ?? '0'}::xid8
           and not exists (select 1 from audit_chain c where c.event_id = e.id)
         order by e.xid, e.id
         limit ${batch}`;
      if (rows.length === 0) return 0;
      const seqs: string[] = [];
      const prevs: string[] = [];
      const hashes: string[] = [];
      let prev = head?.hash ?? GENESIS;
      let seq = BigInt(head?.seq ?? 0);
      for (const row of rows) {
        const position = String(++seq);
        const hash = chainHash(prev, position, row);
        seqs.push(position);
        prevs.push(prev);
        hashes.push(hash);
        prev = hash;
      }
      // a full batch may have left records of its last transaction: the next round starts there
      const xmin = BigInt(rows[0]!.xmin);
      const last = BigInt(rows.at(-1)!.xid);
      const horizon = rows.length === batch && last < xmin ? last : xmin;
      await tx`
        insert into audit_chain (seq, event_id, prev_hash, hash, horizon)
        select s, e, p, h, ${String(horizon)}::xid8
          from unnest(${seqs}::bigint[], ${rows.map((r) => r.eventId)}::bigint[], ${prevs}::text[], ${hashes}::text[]) as x(s, e, p, h)`;
      return rows.length;
    });
  }

  async function sealAll(wait: boolean): Promise<number> {
    let sealed = 0;
    for (;;) {
      const n = await round(wait);
      if (n > 0) sealed += n;
      if (n < batch) return sealed;
    }
  }

  async function publish(force: boolean): Promise<Checkpoint | null> {
    if (!signer) return null;
    const [head] = await sql<{ seq: string; hash: string }[]>`select seq, hash from audit_chain order by seq desc limit 1`;
    if (!head) return null;
    const [last] = await sql<Checkpoint[]>`select seq, hash, at, key_id, signature from audit_checkpoints order by seq desc limit 1`;
    if (last && (last.seq === head.seq || (!force && Date.now() - last.at.getTime() < checkpointEveryMs))) return last.seq === head.seq ? last : null;
    const checkpoint = signer.sign({ seq: head.seq, hash: head.hash, at: new Date() });
    await sql`
      insert into audit_checkpoints (seq, hash, at, key_id, signature)
      values (${checkpoint.seq}, ${checkpoint.hash}, ${checkpoint.at}, ${checkpoint.keyId}, ${checkpoint.signature})
      on conflict (seq) do nothing`;
    if (checkpointDir) await writeCheckpointFile(checkpointDir, checkpoint, signer.publicKey);
    return checkpoint;
  }

  const timer =
    intervalMs > 0
      ? setInterval(
          () =>
            void serial(async () => {
              await sealAll(false);
              await publish(false);
            }).catch((error) => log(`audit: sealing failed: ${(error as Error).message}`)),
          intervalMs,
        ).unref()
      : undefined;

  return {
    sealNow: () => serial(() => sealAll(true)),
    checkpointNow: () =>
      serial(async () => {
        await sealAll(true);
        return publish(true);
      }),
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
