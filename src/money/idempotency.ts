// Idempotency keys with Stripe's semantics (reliability matrix M01–M07, M14):
// - the key is required on every money mutation, 1–255 printable ASCII characters;
// - it is scoped by (principal, key): another caller's identical key is another request;
// - same key and same input: the stored transaction, and no second movement, also while the first
//   request is still running (the duplicate waits on the key's row until the first commits, at
//   most WAIT_FOR_FIRST, then IDEMPOTENCY_IN_PROGRESS: retry);
// - same key and different input: IDEMPOTENCY_CONFLICT;
// - the claim is written in the movement's own database transaction, so a crash leaves both or
//   neither, and a failed attempt (bad input, not found, insufficient funds) rolls back and stores
//   nothing: retrying the same key with corrected input executes (Stripe: "no idempotent result is
//   saved when parameters fail validation"). A committed claim always has its result (migration
//   0002 checks it at commit);
// - keys are kept 7 days (at least 24 hours, the database checks that); an expired key is a new
//   request, as Stripe does once a key is pruned.

import { createHash } from 'node:crypto';
import type { Fragment } from 'postgres';
import type { Sql, Tx } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';

/** How long a stored result is replayed. Stripe keeps keys ≥ 24 h; retail money movement, 7 days (Plaid). */
export const KEY_RETENTION = '7 days';

/**
 * How long a duplicate waits for the first request with its key before IDEMPOTENCY_IN_PROGRESS
 * (a 409-style "retry"); it bounds every later lock wait of the transaction too.
 */
export const WAIT_FOR_FIRST = '5s';

/** What a request claims: its principal, key, and what it asks for. */
export interface Claim {
  principalId: string;
  key: string;
  operation: string;
  fingerprint: string;
}

/** A new claim to execute, or the transaction an earlier request with this key and input produced. */
export type ClaimOutcome = { kind: 'new' } | { kind: 'replay'; transactionId: string };

const PRINTABLE = /^[\x20-\x7E]{1,255}$/;

/** Throws BAD_USER_INPUT naming `input.idempotencyKey` unless the key is 1–255 printable ASCII characters. */
export function checkIdempotencyKey(key: string): void {
  if (!PRINTABLE.test(key)) {
    throw badInput(
      'input.idempotencyKey',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'must be 1–255 printable ASCII characters',
    );
  }
}

/** A value of a canonical input: keys and amounts as canonical strings, flags as booleans. */
export type CanonicalValue = string | boolean;

/**
 * sha256 (hex) of the operation and its input, independent of the order of the input's fields. The
 * caller passes the input in canonical form (amounts normalized, without the idempotency key), so
 * "100" and "100.00" are the same request.
 */
export function fingerprint(operation: string, input: Readonly<Record<string, CanonicalValue>>): string {
  const fields = Object.keys(input)
    .sort()
    .map((name) => [name, input[name]]);
  return createHash('sha256').update(JSON.stringify([operation, fields])).digest('hex');
}

/**
 * Claims the key inside the movement's transaction. Blocks (up to WAIT_FOR_FIRST, then
 * IDEMPOTENCY_IN_PROGRESS) while another transaction holds a claim on the same key; returns `new`
 * when this request is to execute (also when the key had expired), `replay` with the stored
 * transaction when the same input succeeded before, and throws IDEMPOTENCY_CONFLICT when the key
 * was used for a different request. Sends its first statement at once, so that callers can
 * pipeline more statements behind it.
 */
export async function claimKey(tx: Tx, claim: Claim): Promise<ClaimOutcome> {
  let claimed: readonly unknown[];
  try {
    // The row source sets the lock timeout, so it is in force before the insert can wait on a
    // duplicate; it holds for the rest of the transaction. An expired key is taken over.
    claimed = await tx`
      insert into idempotency_keys as k (principal_id, key, operation, fingerprint, expires_at)
      select ${claim.principalId}, ${claim.key}, ${claim.operation}, ${claim.fingerprint}, now() + ${KEY_RETENTION}::interval
        from (select set_config('lock_timeout', ${WAIT_FOR_FIRST}, true)) as bounded_wait
      on conflict (principal_id, key) do update
        set operation = excluded.operation, fingerprint = excluded.fingerprint, transaction_id = null,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        where k.expires_at < now()
      returning 1`.execute();
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') throw clientError('IDEMPOTENCY_IN_PROGRESS');
    throw error;
  }
  if (claimed.length > 0) return { kind: 'new' };

  // The key is taken and live: a fresh statement sees the committed winner of any race.
  const [stored] = await tx<{ fingerprint: string; transactionId: string }[]>`
    select fingerprint, transaction_id from idempotency_keys where principal_id = ${claim.principalId} and key = ${claim.key}`;
  // gone between the two statements: it expired and was pruned, so nothing is stored; a retry claims it
  if (!stored) throw clientError('IDEMPOTENCY_IN_PROGRESS');
  if (stored.fingerprint !== claim.fingerprint) {
    throw clientError(
      'IDEMPOTENCY_CONFLICT',
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      'This idempotency key was used for a different request',
      { field: 'input.idempotencyKey' },
    );
  }
  return { kind: 'replay', transactionId: stored.transactionId };
}

/**
 * The statement that records the movement's transaction as the claim's result, for the ledger's
 * `alongside` (it reads the new transaction as `t`): same database transaction, same statement.
 */
export function recordResult(tx: Tx, claim: Claim): Fragment {
  return tx`
    update idempotency_keys k set transaction_id = t.id from t
     where k.principal_id = ${claim.principalId} and k.key = ${claim.key}`;
}

/** Deletes expired keys (the database refuses to delete live ones); returns how many. */
export async function pruneExpiredKeys(sql: Sql): Promise<number> {
  const deleted = await sql`delete from idempotency_keys where expires_at < now()`;
  return deleted.count;
}
