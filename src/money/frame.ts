// The frame every money movement runs in (purchase, redemption, transfer, cancelling a purchase in
// its cooling-off period): one database transaction of two round trips (PostgreSQL runs pipelined
// statements in order, so each sees the locks of those before it):
//   1. BEGIN; claim the idempotency key (a duplicate waits here until the first request ends), lock
//      the customers the movement touches, then its accounts in id order (and the transaction it
//      changes), and read under those locks what the checks need: the facts the policies decide with
//      (the product, the customer's risk profile, each side's AML totals…), the position;
//   2. the gate decides the movement on its record with those facts (a denial rolls back; the AML
//      policy's alerts and suitability's come back as obligations), then plain functions check it
//      (existence, currency, product status and minimum, funds, position); then the ledger
//      transaction, its postings, the key's result and everything else the movement writes go in ONE
//      statement, the decision stream's observers add their rows, and COMMIT.
// Two round trips rather than sql.begin's four (it awaits BEGIN and COMMIT on their own): on a
// busy machine every round trip is a socket write and a context switch on both sides, and they
// were most of the cost of a movement.
// A replayed key returns the stored transaction; a refused request rolls back and stores nothing.

import type { Fragment } from 'postgres';
import type { Sql, Tx } from '../db/database.ts';
import type { TransactionRow } from '../data/transactions.ts';
import { clientError } from '../errors.ts';
import type { FactSubject, Permit, RecordDecider, RecordDocument } from '../policy/permit.ts';
import type { Obligations } from '../policy/types.ts';
import { alertsStatement, type AlertParties } from './alerts.ts';
import { checkIdempotencyKey, claimKey, fingerprint, recordResult, type CanonicalValue, type Claim } from './idempotency.ts';
import { postTransaction, type NewTransaction } from './ledger.ts';

/** What a money movement needs from the request. */
export interface FrameContext {
  sql: Sql;
  /** The token's subject: idempotency keys are scoped to it. */
  principalId: string;
  /**
   * The gate's permit for the movement: the records this principal may move money for, and the
   * gate's decision on the movement's record, made here under the locks.
   */
  permit: Permit;
}

/** One movement: what it claims, what it locks and reads, and how it decides. */
export interface Movement<Read> {
  operation: string;
  idempotencyKey: string;
  /** The input in canonical form, without the key: what the key's fingerprint covers. */
  request: Readonly<Record<string, CanonicalValue>>;
  /**
   * Locks the customers the movement touches and returns the acting one's key, `null` when the
   * permit does not cover what it names; the first lock, sent right behind the claim.
   */
  lockCustomers(tx: Tx): Promise<string | null>;
  /** What NOT_FOUND names when `lockCustomers` found no acting customer: the record and its input field. */
  acting: { what: string; field: string };
  /** The keys the policies' facts are loaded for (`account`, `toAccount`, `product`, `transaction`). */
  keys: FactSubject['keys'];
  /** Facts the movement reads itself, besides those of the policies in force. */
  facts: readonly string[];
  /** Locks the accounts (and what else it changes) and reads what `decide` needs; issued in the first round trip. */
  read(tx: Tx): Promise<Read>;
  /** The record the gate decides on, with its facts. */
  record(customerId: string, read: Read, facts: Readonly<Record<string, unknown>>): RecordDocument;
  /** How the gate is asked (default: one decision on the record); a confirmation may need more. */
  gate?(records: RecordDecider, record: RecordDocument): Gated;
  /** Checks (throwing client errors) and says what to write. No I/O. */
  decide(customerId: string, read: Read, facts: Readonly<Record<string, unknown>>, obligations: Obligations): Written;
}

/** The gate's answer on a movement: the decision's obligations, and what recording the decision adds to the write. */
export interface Gated {
  obligations: Obligations;
  alongside?: (tx: Tx) => Fragment[];
}

/** What a movement writes: its ledger transaction, who holds each side of it, and what goes with it. */
export interface Written {
  entry: NewTransaction;
  /** The customers whose outgoing and incoming sides it moves (alerts about a side are booked to them). */
  parties: AlertParties;
  /** Further statements of the same movement (position, cooling-off, confirmations…); they may read the new transaction as `t`. */
  alongside?: (tx: Tx) => Fragment[];
}

/** Attempts of a movement that hit a deadlock or serialization failure (PostgreSQL docs 13.5). */
const ATTEMPTS = 3;

/** Validates the key, then runs the movement in one database transaction, retrying deadlocks whole. */
export async function move<Read>(ctx: FrameContext, movement: Movement<Read>): Promise<TransactionRow> {
  checkIdempotencyKey(movement.idempotencyKey);
  const claim: Claim = {
    principalId: ctx.principalId,
    key: movement.idempotencyKey,
    operation: movement.operation,
    fingerprint: fingerprint(movement.operation, movement.request),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx.sql, (tx, begun, commit) => execute(tx, ctx, claim, movement, begun, commit));
    } catch (error) {
      // a client error carries no SQLSTATE: it falls through to the rethrow
      const { code, table_name: table } = error as { code?: string; table_name?: string };
      // fixed lock order makes these unexpected; PostgreSQL still advises retrying them whole
      if ((code === '40P01' || code === '40001') && attempt < ATTEMPTS) continue;
      if (code === '40P01' || code === '40001' || code === '55P03') throw clientError('SERVICE_UNAVAILABLE');
      // the balance and position CHECKs are the backstop behind the checks under the locks
      if (code === '23514' && (table === 'accounts' || table === 'positions')) throw clientError('INSUFFICIENT_FUNDS');
      throw error;
    }
  }
}

/**
 * Runs `work` in one database transaction on a connection of its own. BEGIN goes out with the
 * work's first statements (they queue behind it; the work awaits `begun` with them, before it
 * writes anything that must not outlive a failed BEGIN) and COMMIT with its last (`commit` sends
 * it). Anything thrown rolls back. The connection serves one transaction at a time, like
 * `sql.begin`'s.
 */
export async function inTransaction<T>(sql: Sql, work: (tx: Tx, begun: Promise<unknown>, commit: () => Promise<unknown>) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  try {
    const begun = connection`begin`.execute();
    // BEGIN is on its way: from here the connection is used exactly as a transaction's client
    return await work(connection as unknown as Tx, begun, () => connection`commit`.execute());
  } catch (error) {
    // after a failed COMMIT there is no transaction left, and PostgreSQL only warns
    await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}

async function execute<Read>(
  tx: Tx,
  ctx: FrameContext,
  claim: Claim,
  movement: Movement<Read>,
  begun: Promise<unknown>,
  commit: () => Promise<unknown>,
): Promise<TransactionRow> {
  // Round trip 1, pipelined behind BEGIN in this order: the claim (a duplicate blocks here, holding
  // nothing else), the customers' locks, the accounts' locks and reads, the facts. Every helper
  // sends its statement synchronously (`.execute()`), so the order below is the order PostgreSQL
  // runs them in. (Had BEGIN failed, the claim could not commit without its result: the database
  // checks that at the end of the statement.)
  const records = ctx.permit.records!;
  const [, outcome, customerId, read, facts] = await pipelined([
    begun,
    claimKey(tx, claim),
    movement.lockCustomers(tx),
    movement.read(tx),
    records.facts(tx as unknown as Sql, movement.keys, movement.facts),
  ]);
  // A replay too needs the caller to still act for the record: a stored result is never shown to
  // a caller whose permit does not cover it (e.g. two customers behind one token subject).
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (customerId === null) throw clientError('NOT_FOUND', `${movement.acting.what} not found`, { field: movement.acting.field });
  if (outcome.kind === 'replay') return (await Promise.all([storedTransaction(tx, outcome.transactionId), commit()]))[0];

  // the gate decides on the movement's record with the facts read under the locks
  const record = movement.record(customerId, read, facts);
  const gated = movement.gate ? movement.gate(records, record) : { obligations: records.decide(record) };
  const { obligations } = gated;
  const { entry, parties, alongside } = movement.decide(customerId, read, facts, obligations);

  // Round trip 2: everything the movement writes, in one statement, the observers' rows, and COMMIT
  // behind them (after a failed statement PostgreSQL answers COMMIT with a rollback).
  const statements: Fragment[] = [recordResult(tx, claim), ...(alongside?.(tx) ?? []), ...(gated.alongside?.(tx) ?? [])];
  if (obligations.alerts?.length) statements.push(alertsStatement(tx, obligations.alerts, parties));
  const [posted] = await Promise.all([postTransaction(tx, entry, statements), records.observe(tx as unknown as Sql), commit()]);
  return posted;
}

/**
 * The results of statements pipelined in one transaction. Once one fails, PostgreSQL fails every
 * statement behind it only because the transaction is aborted (25P02), and those rejections may
 * arrive first (one network read carries them all): the failure to report is the first one in
 * sending order (e.g. the claim's IDEMPOTENCY_IN_PROGRESS, not a lock's "transaction aborted").
 */
export async function pipelined<const T extends readonly unknown[]>(statements: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  try {
    return await Promise.all(statements);
  } catch (error) {
    for (const statement of statements) await statement;
    throw error;
  }
}

async function storedTransaction(tx: Tx, transactionId: string): Promise<TransactionRow> {
  const [row] = await tx<TransactionRow[]>`
    select id, type, status, amount, currency, customer_id, product_id, created_at from transactions where id = ${transactionId}`.execute();
  return row!;
}
