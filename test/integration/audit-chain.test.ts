// The chain: sealed in commit order into one linear chain however many requests and sealers run
// at once; verified incrementally from the newest signed checkpoint; a changed record is found at
// its position, and a rewrite that recomputed every hash is caught against a checkpoint kept
// elsewhere; a checkpoint signed by another key is never taken as verified.

import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFile, newSigningKey, parseCheckpointFile, signerFrom, type Checkpoint } from '../../src/audit/checkpoint.ts';
import { startSealer } from '../../src/audit/sealer.ts';
import { verifyChain } from '../../src/audit/verify.ts';
import { systemPermit } from '../../src/data/system.ts';
import { toGlobalId } from '../../src/ids.ts';
import { rewrite, tamper } from '../support/audit.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';

const CHAIN = `query($full: Boolean) { auditChain(full: $full) { verified sealedThrough length unsealed headHash firstBrokenSeq problem verifiedFrom checkpoint { seq signature } } }`;

/** Some reads, each one record. */
async function traffic(gw: TestGateway, n: number): Promise<void> {
  const token = await gw.token({ roles: ['compliance'] });
  for (let i = 0; i < n; i++) await gw.request(`{ customers(first: 2) { edges { node { id } } } }`, { token });
}

/** The chain as an auditor sees it through auditChain. */
async function chainStatus(gw: TestGateway, full = false) {
  const response = await gw.request(CHAIN, { token: await gw.token({ roles: ['auditor'] }), variables: { full } });
  expect(response.errors).toBeUndefined();
  return response.data.auditChain;
}

/** Runs the tasks with at most `width` of them in flight at once; resolves with every result, in order. */
async function inParallel<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

const eventAt = async (gw: TestGateway, seq: number) => (await gw.db.sql<[{ id: string; actor: string }]>`select e.id, e.actor from audit_chain c join audit_events e on e.id = c.event_id where c.seq = ${seq}`)[0];

describe('tampering', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ customers: 10 });
    await traffic(gw, 12);
    await gw.seal();
  });
  afterAll(() => gw?.close());

  it('a superuser changing one field of a sealed record: not verified, broken at exactly that position', async () => {
    expect(await chainStatus(gw)).toMatchObject({ verified: true, firstBrokenSeq: null, problem: null, unsealed: '0' });
    const victim = (await eventAt(gw, 7))!;
    await tamper(gw, (sql) => sql`update audit_events set actor = 'someone-else' where id = ${victim.id}`);
    expect(await chainStatus(gw)).toMatchObject({ verified: false, firstBrokenSeq: '7', problem: 'HASH_MISMATCH' });
    await tamper(gw, (sql) => sql`update audit_events set actor = ${victim.actor} where id = ${victim.id}`);
    expect((await chainStatus(gw)).verified).toBe(true);
  });

  it('every column of a record is covered: changing any one of them breaks the chain at that record', async () => {
    const victim = (await eventAt(gw, 5))!;
    const changes: Record<string, string> = {
      at: "at + interval '1 millisecond'",
      kind: "'trail'",
      retain_until: "retain_until + interval '1 day'",
      request_id: "request_id || 'x'",
      operation: "operation || 'x'",
      operation_hash: "repeat('e', 64)",
      actor: "actor || 'x'",
      roles: "roles || 'auditor'::text",
      purpose: "'marketing'",
      action: "'account.read'",
      resource_type: "'Account'",
      resource_id: "'999'",
      resource_ids: "resource_ids || '999'::text",
      customer_ids: "customer_ids || 999::bigint",
      field_path: "field_path || 'x'",
      fields: "fields || 'customers.edges.node.idNumber'::text",
      masked: "masked || 'x'::text",
      hidden: "hidden || 'x'::text",
      decision: "'DENY'",
      failed: 'not failed',
      in_transaction: 'not in_transaction',
      policies: "array_replace(policies, 'access@4', 'access@9')",
      policy_sha256: "array_fill(repeat('0', 64), array[cardinality(policies)])",
      reasons: "reasons || 'X'::text",
      detail: `detail || '{"x": 1}'`,
    };
    for (const [column, value] of Object.entries(changes)) {
      await tamper(gw, async (sql) => {
        await sql`create table saved_record as select * from audit_events where id = ${victim.id}`;
        await sql.unsafe(`update audit_events set ${column} = ${value} where id = $1`, [victim.id]);
      });
      expect(await chainStatus(gw), column).toMatchObject({ verified: false, firstBrokenSeq: '5', problem: 'HASH_MISMATCH' });
      await tamper(gw, async (sql) => {
        await sql.unsafe(`update audit_events e set ${column} = s.${column} from saved_record s where e.id = s.id`);
        await sql`drop table saved_record`;
      });
    }
    expect((await chainStatus(gw)).verified).toBe(true);
  });

  it('a changed hash breaks the link of the position after it; a removed position is a gap', async () => {
    await tamper(gw, (sql) => sql`update audit_chain set hash = repeat('a', 64) where seq = 4`);
    expect(await chainStatus(gw)).toMatchObject({ verified: false, firstBrokenSeq: '4', problem: 'HASH_MISMATCH' });
    await tamper(gw, async (sql) => {
      const [next] = await sql<[{ prevHash: string }]>`select prev_hash from audit_chain where seq = 5`;
      await sql`update audit_chain set hash = ${next.prevHash} where seq = 4`;
    });
    await tamper(gw, (sql) => sql`delete from audit_chain where seq = 9`);
    expect(await chainStatus(gw)).toMatchObject({ verified: false, firstBrokenSeq: '9', problem: 'GAP' });
  });
});

describe('checkpoints', () => {
  let gw: TestGateway;
  let kept: Checkpoint;
  beforeAll(async () => {
    gw = await startGateway({ customers: 10 });
    await traffic(gw, 10);
    // a checkpoint file an operator shipped off site
    kept = parseCheckpointFile(checkpointFile((await gw.sealer.checkpointNow())!, gw.signer.publicKey));
    await traffic(gw, 5);
    await gw.seal();
  });
  afterAll(() => gw?.close());

  it('auditChain verifies incrementally: from the newest signed checkpoint, recomputing only what follows it', async () => {
    const status = await chainStatus(gw);
    expect(status).toMatchObject({ verified: true, verifiedFrom: kept.seq, checkpoint: { seq: kept.seq, signature: 'VALID' } });
    expect(Number(status.sealedThrough)).toBeGreaterThan(Number(kept.seq));
    expect((await chainStatus(gw, true)).verifiedFrom).toBe('0');
  });

  it('catches a superuser who rewrote a record and recomputed every hash, against the checkpoint kept elsewhere', async () => {
    const status = await chainStatus(gw);
    await rewrite(gw, 3);
    // the stored chain is consistent with itself now, so the table alone cannot tell
    expect(await chainStatus(gw, true)).toMatchObject({ verified: true });
    const held = await verifyChain(gw.app, systemPermit('AuditEvent', 'audit'), { publicKey: gw.signer.publicKey, against: kept });
    expect(held).toMatchObject({ verified: false, problem: 'CHECKPOINT_MISMATCH', firstBrokenSeq: kept.seq });
    expect(held.headHash).not.toBe(status.headHash);
  });

  it('reports a checkpoint signed by another key as such, never as verified', async () => {
    const stranger = signerFrom(newSigningKey());
    const forged = stranger.sign({ seq: kept.seq, hash: kept.hash, at: kept.at });
    const status = await verifyChain(gw.app, systemPermit('AuditEvent', 'audit'), { publicKey: gw.signer.publicKey, against: forged });
    expect(status).toMatchObject({ verified: false, problem: 'CHECKPOINT_FOREIGN_KEY', checkpoint: { signatureCheck: 'foreign-key' } });
    // and stored in the table (a superuser may insert one): auditChain says so too
    await gw.asOwner((sql) => sql`insert into audit_checkpoints (seq, hash, at, key_id, signature) select seq, hash, now(), ${forged.keyId}, ${forged.signature} from audit_chain order by seq desc limit 1`);
    expect(await chainStatus(gw)).toMatchObject({ verified: false, problem: 'CHECKPOINT_FOREIGN_KEY', checkpoint: { signature: 'FOREIGN_KEY' } });
  });

  it('reports a validly signed checkpoint whose position the chain no longer has (records removed)', async () => {
    const ahead = gw.signer.sign({ seq: '999999', hash: kept.hash, at: new Date() });
    const status = await verifyChain(gw.app, systemPermit('AuditEvent', 'audit'), { publicKey: gw.signer.publicKey, against: ahead });
    expect(status).toMatchObject({ verified: false, problem: 'CHECKPOINT_BEYOND_HEAD' });
  });
});

describe('one linear chain under load', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ customers: 20 });
  });
  afterAll(() => gw?.close());

  it('100 transfers and 1,000 reads in parallel (200 in flight), sealed by two sealers at once: one chain, no gap, no fork, every record once', async () => {
    const people = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const id = await newCustomer(gw.db.sql);
        return { account: await openAccount(gw.db.sql, id, '10000.00'), token: await gw.customerToken(id) };
      }),
    );
    const compliance = await gw.token({ roles: ['compliance'] });
    // a second sealer competing for the lock with short rounds, as another instance would
    const other = startSealer({ sql: gw.app, intervalMs: 5, batch: 50, log: () => {} });
    const mine = startSealer({ sql: gw.app, intervalMs: 7, batch: 70, log: () => {} });
    try {
      const writes = Array.from({ length: 100 }, (_, i) => () => {
        const from = people[i % 10]!;
        const to = people[(i + 1) % 10]!;
        return gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, {
          token: from.token,
          variables: { input: { fromAccountId: toGlobalId('Account', from.account), toAccountId: toGlobalId('Account', to.account), amount: '1.00', idempotencyKey: randomUUID() } },
        });
      });
      const reads = Array.from({ length: 1000 }, () => () => gw.request(`{ customers(first: 1) { edges { node { id } } } }`, { token: compliance }));
      // writes and reads interleaved, 200 in flight at a time: more sockets at once than that
      // overflow the listen backlog of a loaded machine (ECONNRESET), which tests the kernel, not us
      const all = reads.flatMap((read, i) => (i % 10 === 0 ? [writes[i / 10]!, read] : [read]));
      const responses = await inParallel(all, 200);
      expect(responses.filter((r) => r.errors).map((r) => r.errors)).toEqual([]);
    } finally {
      await other.close();
      await mine.close();
    }
    await gw.seal();
    const [shape] = await gw.db.sql<[{ events: number; sealed: number; first: string; last: string; distinctEvents: number; broken: number }]>`
      select (select count(*)::int from audit_events) as events,
             count(*)::int as sealed, min(seq)::text as first, max(seq)::text as last,
             count(distinct event_id)::int as distinct_events,
             count(*) filter (where prev_hash is distinct from (select p.hash from audit_chain p where p.seq = c.seq - 1) and seq > 1)::int as broken
        from audit_chain c`;
    expect(shape.events).toBeGreaterThanOrEqual(1000 + 100 * 2);
    expect(shape).toMatchObject({ sealed: shape.events, first: '1', last: String(shape.events), distinctEvents: shape.events, broken: 0 });
    expect(await chainStatus(gw, true)).toMatchObject({ verified: true, unsealed: '0', sealedThrough: String(shape.events) });
  }, 120_000);
});

describe.skipIf(!realServer)('commit order (needs a PostgreSQL server: two connections at once)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ customers: 5 });
  });
  afterAll(() => gw?.close());

  it('seals a record that commits after later ones by its commit, not its identity: it is never skipped', async () => {
    const url = new URL(gw.db.url);
    const slow = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      // a transaction that inserts a record (taking an id first) and stays open
      const reserved = await slow.reserve();
      await reserved`begin`;
      const [{ id: early }] = await reserved<[{ id: string }]>`
        insert into audit_events (at, kind, retain_until, request_id, operation, actor, roles, action, resource_ids, customer_ids,
                                  field_path, fields, masked, hidden, decision, failed, in_transaction, policies, policy_sha256, reasons, detail)
        values (now(), 'access', now() + interval '3 years', 'late-commit', 'anonymous', 'slow-writer', '{}', 'customer.read', '{}', '{}',
                'customers', '{}', '{}', '{}', 'ALLOW', false, false, '{}', '{}', '{}', '{}')
        returning id`;
      await traffic(gw, 5);
      await gw.seal();
      const before = await gw.db.sql`select 1 from audit_chain where event_id = ${early}`;
      expect(before).toHaveLength(0);
      await reserved`commit`;
      reserved.release();
      await gw.seal();
      const [{ seq, later }] = await gw.db.sql<[{ seq: string; later: number }]>`
        select c.seq::text, (select count(*)::int from audit_chain o where o.event_id > ${early} and o.seq < c.seq) as later
          from audit_chain c where c.event_id = ${early}`;
      expect(Number(seq)).toBeGreaterThan(5);
      // sealed after records with higher ids: chain order is commit order, not id order
      expect(later).toBeGreaterThanOrEqual(5);
      expect((await chainStatus(gw, true)).verified).toBe(true);
    } finally {
      await slow.end();
    }
  });
});
