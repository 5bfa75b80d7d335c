// The auditors' and operators' tools: exporting the trail with flat memory, and the CLI —
// verify (against a checkpoint file kept off site), export, checkpoint — and operators'
// commands that change data leaving their own records.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFile, newSigningKey, parseCheckpointFile, signerFrom } from '../../src/audit/checkpoint.ts';
import { exportTrail } from '../../src/audit/export.ts';
import { systemPermit } from '../../src/data/system.ts';
import { rewrite, trail } from '../support/audit.ts';
import { run } from '../support/cli.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let work: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 20 });
  work = await mkdtemp(join(tmpdir(), 'fingate-audit-'));
  const token = await gw.token({ roles: ['compliance'] });
  for (let i = 0; i < 30; i++) await gw.request(`{ customers(first: 2) { edges { node { id name } } } }`, { token, purpose: 'audit' });
  await gw.seal();
});
afterAll(() => gw?.close());

/** A writable that takes each chunk a tick later and remembers the most it ever held buffered. */
function slowSink() {
  const chunks: string[] = [];
  let most = 0;
  const sink = new Writable({
    highWaterMark: 4096,
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      setImmediate(done);
    },
  });
  const write = sink.write.bind(sink);
  sink.write = ((chunk: unknown, ...rest: unknown[]) => {
    const ok = (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    most = Math.max(most, sink.writableLength);
    return ok;
  }) as typeof sink.write;
  return { sink, text: () => chunks.join(''), most: () => most };
}

describe('export', () => {
  const range = { from: new Date(0), to: new Date(Date.now() + 60_000) };

  it('JSON lines in chain order, every sealed record of the range, never more buffered than one batch', async () => {
    const out = slowSink();
    const written = await exportTrail(gw.app, systemPermit('AuditEvent', 'audit'), { ...range, format: 'jsonl', out: out.sink });
    const lines = out.text().trim().split('\n').map((line) => JSON.parse(line));
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from audit_chain`;
    expect(written).toBe(n);
    expect(lines.map((l) => Number(l.seq))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(lines[0]).toMatchObject({ action: 'customer.read', purpose: 'audit', detail: { verdicts: expect.any(Array) } });
    // a batch is 1,000 records of about a kilobyte: what waits in the sink stays below two of them
    expect(out.most()).toBeLessThan(2 * 1000 * 4096);
  });

  it('CSV with a header row, lists as JSON, quoted where needed', async () => {
    const out = slowSink();
    await exportTrail(gw.app, systemPermit('AuditEvent', 'audit'), { ...range, format: 'csv', out: out.sink });
    const [header, first] = out.text().split('\n');
    expect(header!.split(',').slice(0, 4)).toEqual(['seq', 'prevHash', 'hash', 'eventId']);
    expect(first).toMatch(/^1,0{64},[0-9a-f]{64},\d+,/);
    expect(first).toContain('"[""compliance""]"');
  });

  it('refuses an empty or inverted range with BAD_USER_INPUT', async () => {
    await expect(exportTrail(gw.app, systemPermit('AuditEvent', 'audit'), { from: range.to, to: range.from, format: 'csv', out: slowSink().sink })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'to' },
    });
  });
});

describe('bad input to the audit CLI: one line, exit 1', () => {
  it.each([
    ['a malformed --from', ['audit', 'export', '--from', 'yesterday'], /--from/],
    ['an unknown --format', ['audit', 'export', '--format', 'xml'], /--format/],
  ])('%s', async (_name, args, pattern) => {
    const result = await run(args, {});
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  });

  it('a checkpoint file that is not one', async () => {
    const file = join(work, 'not-a-checkpoint.json');
    await writeFile(file, '{"seq": 1}');
    const result = await run(['audit', 'verify', '--checkpoint', file], {});
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--checkpoint: is not a checkpoint file/);
  });
});

describe.skipIf(!realServer)('fingate audit and operators’ commands (needs a PostgreSQL server the CLI can reach)', () => {
  const env = () => ({ DATABASE_URL: gw.db.url, FINGATE_AUDIT_SIGNING_KEY: gw.signingKey, USER: 'ops-test' });

  it('checkpoint writes a signed file and is itself recorded; verify from it says VERIFIED', async () => {
    const file = join(work, 'checkpoint.json');
    const made = await run(['audit', 'checkpoint', '--out', file], env());
    expect(made.code).toBe(0);
    const checkpoint = parseCheckpointFile(await readFile(file, 'utf8'));
    expect(checkpoint.keyId).toBe(gw.signer.keyId);
    expect(await trail(gw, { action: 'audit.checkpoint' })).toMatchObject([{ actor: 'cli:ops-test', operation: 'fingate audit checkpoint', kind: 'operator', resourceIds: [checkpoint.seq] }]);
    const verified = await run(['audit', 'verify', '--checkpoint', file], env());
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/VERIFIED/);
  });

  it('policy activate is recorded in its own transaction, with the operator as actor', async () => {
    const result = await run(['policy', 'activate', 'access', '2', '--by', 'alice-ops'], env());
    expect(result.code).toBe(0);
    expect(await trail(gw, { action: 'policy.activate', actor: 'alice-ops' })).toMatchObject([
      { kind: 'policy', operation: 'fingate policy activate', inTransaction: true, resourceIds: ['access@2'], reasons: ['OPERATOR_COMMAND'] },
    ]);
  });

  it('export writes the range to a file', async () => {
    const file = join(work, 'trail.csv');
    const result = await run(['audit', 'export', '--from', '2000-01-01', '--to', new Date(Date.now() + 60_000).toISOString(), '--format', 'csv', '--out', file], env());
    expect(result.code).toBe(0);
    const [{ n }] = await gw.db.sql<[{ n: number }]>`select count(*)::int as n from audit_chain`;
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(n + 1);
    expect(result.stderr).toMatch(new RegExp(`exported ${n} records`));
  });

  it('a checkpoint signed by another key: reported as such, exit 1, never verified', async () => {
    const [head] = await gw.db.sql<[{ seq: string; hash: string }]>`select seq::text, hash from audit_chain order by seq desc limit 1`;
    const stranger = signerFrom(newSigningKey());
    const file = join(work, 'foreign.json');
    await writeFile(file, checkpointFile(stranger.sign({ seq: head.seq, hash: head.hash, at: new Date() }), stranger.publicKey));
    const result = await run(['audit', 'verify', '--checkpoint', file], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/SIGNED BY ANOTHER KEY/);
    expect(result.stdout).not.toMatch(/^VERIFIED/m);
  });

  it('verify --checkpoint catches a rewrite with every hash recomputed, which the table alone cannot show', async () => {
    const file = join(work, 'before-rewrite.json');
    expect((await run(['audit', 'checkpoint', '--out', file], env())).code).toBe(0);
    await rewrite(gw, 2);
    expect((await run(['audit', 'verify', '--full'], env())).code).toBe(0);
    const caught = await run(['audit', 'verify', '--checkpoint', file], env());
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(new RegExp(`BROKEN\\s+CHECKPOINT_MISMATCH at seq ${parseCheckpointFile(await readFile(file, 'utf8')).seq}`));
  });
});
