// Verifying the chain: recompute each position's hash from the record as stored, in order, and
// report the first position where the chain breaks. Incremental by default: from the newest
// checkpoint signed with the configured key (its hash must still be the chain's at its position),
// so a call costs what was sealed since, not the whole table. Held against a checkpoint kept
// elsewhere, it recomputes from the first record: a rewrite that recomputed every hash still
// ends on another hash than the one signed back then.

import type { KeyObject } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import { chainHash, GENESIS, recordColumns, type ChainRecord } from './chain.ts';
import { checkSignature, type Checkpoint, type SignatureCheck } from './checkpoint.ts';

/** Why a chain did not verify. */
export type ChainProblem =
  /** A record's hash is not the hash of its content (the record or its hash was changed). */
  | 'HASH_MISMATCH'
  /** A position does not name the hash of the one before it. */
  | 'LINK_BROKEN'
  /** A position is missing. */
  | 'GAP'
  /** The chain's hash at a signed checkpoint's position is not the signed one (earlier rows were rewritten). */
  | 'CHECKPOINT_MISMATCH'
  /** A signed checkpoint names a position the chain no longer has (rows were removed). */
  | 'CHECKPOINT_BEYOND_HEAD'
  /** The checkpoint was signed by another key than the configured one. */
  | 'CHECKPOINT_FOREIGN_KEY'
  /** The checkpoint's signature is not valid. */
  | 'CHECKPOINT_BAD_SIGNATURE';

/** The chain as verification found it. */
export interface ChainStatus {
  verified: boolean;
  /** The last sealed position. */
  sealedThrough: string | null;
  /** Records in the trail: sealed and not yet sealed. */
  length: string;
  /** Committed records still waiting for their position. */
  unsealed: string;
  headHash: string | null;
  /** The first position found broken (see `problem`). */
  firstBrokenSeq: string | null;
  problem: ChainProblem | null;
  /** Hashes were recomputed after this position ('0': from the first record). */
  verifiedFrom: string;
  /** The signed checkpoint verification started from or was held against, and what its signature says. */
  checkpoint: (Checkpoint & { signatureCheck: SignatureCheck }) | null;
}

export interface VerifyOptions {
  /** The key checkpoints must be signed with; without one, every call recomputes from the first record. */
  publicKey?: KeyObject | undefined;
  /** A checkpoint kept elsewhere (a file) to hold the chain against; recomputes from the first record. */
  against?: Checkpoint | undefined;
  /** Recompute from the first record even when a stored checkpoint would allow starting later. */
  full?: boolean | undefined;
}

/**
 * Verifies the chain. A chain is verified whole or not at all: the permit must cover every record
 * (POLICY_DENIED otherwise).
 */
export async function verifyChain(sql: Sql, permit: Permit, { publicKey, against, full = false }: VerifyOptions = {}): Promise<ChainStatus> {
  checkPermit(permit, 'AuditEvent');
  if (permit.rows.op !== 'all') throw clientError('POLICY_DENIED', 'verifying the audit chain needs a read of every record');
  if (against && !publicKey) throw badInput('checkpoint', 'cannot be checked: no verification key is configured (FINGATE_AUDIT_VERIFY_KEY)');
  const [head] = await sql<{ seq: string; hash: string; horizon: string }[]>`
    select seq, hash, horizon::text as horizon from audit_chain order by seq desc limit 1`;
  const [{ unsealed }] = await sql<[{ unsealed: string }]>`
    select count(*)::text as unsealed from audit_events e
     where e.xid >= ${head?.horizon ?? '0'}::xid8 and not exists (select 1 from audit_chain c where c.event_id = e.id)`;
  const headSeq = BigInt(head?.seq ?? 0);
  const status = (problem: ChainProblem | null, firstBrokenSeq: bigint | null, verifiedFrom: bigint, checkpoint: ChainStatus['checkpoint']): ChainStatus => ({
    verified: problem === null,
    sealedThrough: head?.seq ?? null,
    length: String(headSeq + BigInt(unsealed)),
    unsealed,
    headHash: head?.hash ?? null,
    firstBrokenSeq: firstBrokenSeq === null ? null : String(firstBrokenSeq),
    problem,
    verifiedFrom: String(verifiedFrom),
    checkpoint,
  });

  // where recomputation starts, and what it is held against
  let start = 0n;
  let startHash = GENESIS;
  let checkpoint: ChainStatus['checkpoint'] = null;
  let target: Checkpoint | undefined;
  const signed = against ?? (!full && publicKey ? await newestCheckpoint(sql) : undefined);
  if (signed && publicKey) {
    checkpoint = { ...signed, signatureCheck: checkSignature(signed, publicKey) };
    if (checkpoint.signatureCheck === 'foreign-key') return status('CHECKPOINT_FOREIGN_KEY', null, 0n, checkpoint);
    if (checkpoint.signatureCheck === 'invalid') return status('CHECKPOINT_BAD_SIGNATURE', null, 0n, checkpoint);
    const at = BigInt(signed.seq);
    if (at > headSeq) return status('CHECKPOINT_BEYOND_HEAD', headSeq + 1n, 0n, checkpoint);
    if (against) {
      target = against;
    } else {
      const [row] = await sql<{ hash: string }[]>`select hash from audit_chain where seq = ${signed.seq}`;
      if (row?.hash !== signed.hash) return status('CHECKPOINT_MISMATCH', at, at, checkpoint);
      start = at;
      startHash = signed.hash;
    }
  }

  let expected = start + 1n;
  let prev = startHash;
  const rows = sql<(ChainRecord & { seq: string; prevHash: string; hash: string })[]>`
    select e.seq, e.prev_hash, e.hash, ${recordColumns(sql, 'audit_trail')}
      from audit_trail e where e.seq > ${String(start)} order by e.seq`.cursor(1000);
  for await (const batch of rows) {
    for (const row of batch) {
      const seq = BigInt(row.seq);
      let problem: ChainProblem | null = null;
      if (seq !== expected) problem = 'GAP';
      else if (row.prevHash !== prev) problem = 'LINK_BROKEN';
      else if (row.hash !== chainHash(prev, row.seq, row)) problem = 'HASH_MISMATCH';
      else if (target && row.seq === target.seq && row.hash !== target.hash) problem = 'CHECKPOINT_MISMATCH';
      if (problem) return status(problem, problem === 'GAP' ? expected : seq, start, checkpoint);
      prev = row.hash;
      expected++;
    }
  }
  // positions missing at the end (the view joins each position to its record)
  if (expected <= headSeq) return status('GAP', expected, start, checkpoint);
  return status(null, null, start, checkpoint);
}

async function newestCheckpoint(sql: Sql): Promise<Checkpoint | undefined> {
  const [row] = await sql<Checkpoint[]>`select seq, hash, at, key_id, signature from audit_checkpoints order by seq desc limit 1`;
  return row;
}
