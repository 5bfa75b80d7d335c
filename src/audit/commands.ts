// `fingate audit …`: verify the chain (against a checkpoint file kept off site, too), export a
// range of the trail, publish a signed checkpoint. Also where the CLI finds its keys and its
// database as the application role.

import type { KeyObject } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { systemPermit } from '../data/system.ts';
import { openDatabase, type Database, type Sql } from '../db/database.ts';
import { badInput, StartupError } from '../errors.ts';
import { checkpointFile, newSigningKey, parseCheckpointFile, publicKeyFrom, signerFrom, type Signer } from './checkpoint.ts';
import { exportTrail, type ExportFormat } from './export.ts';
import { connectAsApplication } from './role.ts';
import { startSealer } from './sealer.ts';
import { verifyChain, type ChainStatus } from './verify.ts';

export const AUDIT_USAGE = `usage: fingate audit <command>

  verify [--checkpoint FILE] [--full]     recompute the hash chain from the newest signed checkpoint
                                          (--full: from the first record; --checkpoint: from the first
                                          record, held against a checkpoint file kept elsewhere)
  export --from ISO --to ISO --format csv|jsonl [--out FILE]
                                          sealed records of [from, to) in chain order (stdout by default)
  checkpoint [--out FILE]                 seal now and publish a signed checkpoint of the head

Keys: FINGATE_AUDIT_SIGNING_KEY (Ed25519 private key, PEM or file) signs; FINGATE_AUDIT_VERIFY_KEY
(public key) verifies without it.
`;

type Out = (line: string) => void;

/**
 * Runs `fingate audit …`; returns the exit code. `recordCheckpoint` records the checkpoint command
 * as an operator's (the CLI passes it in; it needs the policy runtime).
 */
export async function auditCommand(args: string[], recordCheckpoint?: RecordCheckpoint, out: Out = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'verify') return verify(rest, out);
  if (command === 'export') return exportCommand(rest);
  if (command === 'checkpoint') return checkpoint(rest, out, recordCheckpoint);
  process.stderr.write(AUDIT_USAGE);
  return command === undefined || command === 'help' ? 0 : 2;
}

/** Records the `audit checkpoint` command (the CLI hands in its operator-command recorder). */
export type RecordCheckpoint = (db: Database, seq: string) => Promise<void>;

const DEV_KEY_FILE = 'audit-signing-key.pem';

/**
 * What signs checkpoints: FINGATE_AUDIT_SIGNING_KEY; outside production, a development key kept in
 * the data folder (made on first use; in memory with --memory). Production without a key: none.
 */
export async function configuredSigner(config: Config, log: (message: string) => void = () => {}): Promise<Signer | undefined> {
  if (config.audit.signingKey) return signerFrom(config.audit.signingKey);
  if (config.production) return undefined;
  if (config.memory) return signerFrom(newSigningKey());
  const file = join(config.dataDir, DEV_KEY_FILE);
  if (!existsSync(file)) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, newSigningKey(), { mode: 0o600 });
    log(`audit: made a development checkpoint signing key, ${file}; set FINGATE_AUDIT_SIGNING_KEY for anything real`);
  }
  await chmod(file, 0o600);
  return signerFrom(file);
}

/** What checkpoints are verified with: FINGATE_AUDIT_VERIFY_KEY, else the signing key's public half. */
export function configuredVerifyKey(config: Config): KeyObject | undefined {
  if (config.audit.verifyKey) return publicKeyFrom(config.audit.verifyKey);
  if (config.audit.signingKey) return signerFrom(config.audit.signingKey).publicKey;
  const devKey = join(config.dataDir, DEV_KEY_FILE);
  return !config.production && existsSync(devKey) ? signerFrom(devKey).publicKey : undefined;
}

/**
 * Runs `work` on the configured database as the application role; `asOwner` runs first, as the
 * owner (DATABASE_OWNER_URL, else DATABASE_URL): migrations, seeding.
 */
export async function withApplicationDatabase<T>(config: Config, work: (sql: Sql, db: Database) => Promise<T>, asOwner?: (db: Database) => Promise<void>): Promise<T> {
  // embedded: through the process holding the data directory (a running gateway), if there is one
  const db = await openDatabase({ url: config.databaseOwnerUrl ?? config.databaseUrl, dataDir: config.dataDir, memory: config.memory, max: 2 });
  try {
    await asOwner?.(db);
    const app = await connectAsApplication(db, { url: config.databaseUrl, role: config.databaseRole, max: 2, production: config.production, log: () => {} });
    try {
      return await work(app.sql, db);
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

const permit = () => systemPermit('AuditEvent', 'audit');

async function verify(args: string[], out: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { checkpoint: { type: 'string' }, full: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const publicKey = configuredVerifyKey(config);
  const against = values.checkpoint ? parseCheckpointFile(await readFile(values.checkpoint, 'utf8').catch(() => Promise.reject(badInput('--checkpoint', `cannot read ${values.checkpoint}`))), '--checkpoint') : undefined;
  if (!publicKey) out('no verification key configured (FINGATE_AUDIT_VERIFY_KEY): recomputing from the first record, checkpoints unchecked');
  const status = await withApplicationDatabase(config, (sql) => verifyChain(sql, permit(), { publicKey, against, full: values.full }));
  for (const line of describe(status)) out(line);
  return status.verified ? 0 : 1;
}

/** The status as an operator reads it. */
function describe(s: ChainStatus): string[] {
  const lines: string[] = [];
  const c = s.checkpoint;
  if (c) lines.push(`checkpoint   seq ${c.seq}, hash ${c.hash}, ${c.at.toISOString()}, key ${c.keyId}: ${c.signatureCheck === 'valid' ? 'signature valid' : c.signatureCheck === 'foreign-key' ? 'SIGNED BY ANOTHER KEY' : 'SIGNATURE INVALID'}`);
  if (s.problem === 'CHECKPOINT_FOREIGN_KEY') lines.push('NOT VERIFIED: the checkpoint was signed by another key than the configured one');
  else if (s.problem === 'CHECKPOINT_BAD_SIGNATURE') lines.push('NOT VERIFIED: the checkpoint signature is not valid');
  else {
    lines.push(`sealed       ${s.sealedThrough ? `1..${s.sealedThrough}, head ${s.headHash}` : 'nothing yet'}; ${s.unsealed} waiting to be sealed`);
    lines.push(`recomputed   from ${s.verifiedFrom === '0' ? 'the first record' : `after seq ${s.verifiedFrom}`}`);
    lines.push(s.verified ? 'VERIFIED' : `BROKEN       ${s.problem} at seq ${s.firstBrokenSeq}`);
  }
  return lines;
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'jsonl' }, out: { type: 'string' } } });
  const from = instant(values.from, '--from') ?? new Date(0);
  const to = instant(values.to, '--to') ?? new Date();
  if (values.format !== 'csv' && values.format !== 'jsonl') throw badInput('--format', 'must be csv or jsonl');
  const config = loadConfig();
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const written = await withApplicationDatabase(config, (sql) =>
    exportTrail(sql, permit(), {
      from,
      to,
      format: values.format as ExportFormat,
      out,
      onProgress: (done, total) => process.stderr.write(`\r  exported ${done}/${total}`),
    }),
  );
  if (values.out) {
    out.end();
    await finished(out);
  }
  process.stderr.write(`${written ? '\n' : ''}exported ${written} records\n`);
  return 0;
}

async function checkpoint(args: string[], out: Out, record: RecordCheckpoint | undefined): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  const config = loadConfig();
  const signer = await configuredSigner(config);
  if (!signer) throw new StartupError('publishing a checkpoint needs FINGATE_AUDIT_SIGNING_KEY');
  const made = await withApplicationDatabase(config, async (sql, db) => {
    const sealer = startSealer({ sql, signer, intervalMs: 0, checkpointDir: config.audit.checkpointDir });
    try {
      const result = await sealer.checkpointNow();
      if (result) await record?.({ ...db, sql }, result.seq);
      return result;
    } finally {
      await sealer.close();
    }
  });
  if (!made) throw new StartupError('the chain is empty: nothing to checkpoint');
  const file = checkpointFile(made, signer.publicKey);
  if (values.out) {
    await writeFile(values.out, file);
    out(`checkpoint seq ${made.seq} written to ${values.out}`);
  } else {
    process.stdout.write(file);
  }
  return 0;
}

/** An ISO 8601 instant (a date alone is midnight UTC), or BAD_USER_INPUT naming the option. */
function instant(value: string | undefined, option: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw badInput(option, `must be an ISO 8601 date or instant, got "${value}"`);
  return date;
}
