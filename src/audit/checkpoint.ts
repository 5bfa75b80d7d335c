// Signed checkpoints of the chain: its head (position and hash) at an instant, signed with an
// Ed25519 key from configuration. Kept in audit_checkpoints and as files an operator ships off
// site: a superuser who rewrites rows and recomputes every hash still cannot make the chain
// agree with a checkpoint taken before, nor sign a new one without the key.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { badInput } from '../errors.ts';

/** The checkpoint format, written into files and signed with the rest. */
export const CHECKPOINT_FORMAT = 'fingate-audit-checkpoint/1';

/** A signed head of the chain. */
export interface Checkpoint {
  seq: string;
  hash: string;
  at: Date;
  /** sha256 of the signing key's public key (SPKI, DER), first 32 hex digits. */
  keyId: string;
  /** Ed25519 signature of `message(checkpoint)`, base64. */
  signature: string;
}

/** What signs checkpoints: the private key and who it is. */
export interface Signer {
  keyId: string;
  publicKey: KeyObject;
  sign(head: { seq: string; hash: string; at: Date }): Checkpoint;
}

/** What a checkpoint's signature says under the configured public key. */
export type SignatureCheck = 'valid' | 'foreign-key' | 'invalid';

/** The signed bytes: the format, position, hash and instant, one per line. */
function message({ seq, hash, at }: { seq: string; hash: string; at: Date }): Buffer {
  return Buffer.from(`${CHECKPOINT_FORMAT}\n${seq}\n${hash}\n${at.toISOString()}`);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

/** A PEM given inline (it starts with -----BEGIN) or the path of a file holding one. */
function pemOf(value: string): string {
  return value.trimStart().startsWith('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/** A signer from an Ed25519 private key (PKCS#8 PEM, inline or a file path). */
export function signerFrom(privateKeyPem: string): Signer {
  const privateKey = createPrivateKey(pemOf(privateKeyPem));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the audit signing key is ${privateKey.asymmetricKeyType}, not ed25519`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    sign: (head) => ({ ...head, keyId, signature: sign(null, message(head), privateKey).toString('base64') }),
  };
}

/** An Ed25519 public key (SPKI PEM, inline or a file path): what auditors verify with. */
export function publicKeyFrom(publicKeyPem: string): KeyObject {
  const key = createPublicKey(pemOf(publicKeyPem));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the audit verification key is ${key.asymmetricKeyType}, not ed25519`);
  return key;
}

/** A new Ed25519 private key as PKCS#8 PEM (development keys, tests). */
export function newSigningKey(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Whether the checkpoint was signed by `publicKey`: valid, by another key, or not validly signed at all. */
export function checkSignature(checkpoint: Checkpoint, publicKey: KeyObject): SignatureCheck {
  if (checkpoint.keyId !== keyIdOf(publicKey)) return 'foreign-key';
  let signature: Buffer;
  try {
    signature = Buffer.from(checkpoint.signature, 'base64');
  } catch {
    return 'invalid';
  }
  return verify(null, message(checkpoint), publicKey, signature) ? 'valid' : 'invalid';
}

const fileSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  seq: z.string().regex(/^[1-9]\d{0,18}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.iso.datetime({ offset: true }),
  keyId: z.string().regex(/^[0-9a-f]{32}$/),
  /** The signer's public key, so a reader can tell whose it is; never trusted by itself. */
  publicKey: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
});

/** A checkpoint as a file: JSON, with the signer's public key for reference. */
export function checkpointFile(checkpoint: Checkpoint, publicKey: KeyObject): string {
  const file: z.infer<typeof fileSchema> = {
    format: CHECKPOINT_FORMAT,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: checkpoint.at.toISOString(),
    keyId: checkpoint.keyId,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signature: checkpoint.signature,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads a checkpoint file; anything else is BAD_USER_INPUT naming `field`. */
export function parseCheckpointFile(text: string, field = 'checkpoint'): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badInput(field, 'is not a checkpoint file (not JSON)');
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw badInput(field, `is not a checkpoint file (${parsed.error.issues[0]!.path.join('.') || 'format'}: ${parsed.error.issues[0]!.message})`);
  const { seq, hash, at, keyId, signature } = parsed.data;
  return { seq, hash, at: new Date(at), keyId, signature };
}

/** Writes a checkpoint file into `dir` atomically (a reader never sees half a file). */
export async function writeCheckpointFile(dir: string, checkpoint: Checkpoint, publicKey: KeyObject): Promise<string> {
  const path = join(dir, `audit-checkpoint-${checkpoint.seq.padStart(12, '0')}.json`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, checkpointFile(checkpoint, publicKey));
  await rename(`${path}.tmp`, path);
  return path;
}
