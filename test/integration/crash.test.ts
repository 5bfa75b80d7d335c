import { randomInt } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { verifyChain } from '../../src/audit/verify.ts';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { systemPermit } from '../../src/data/system.ts';
import type { Sql } from '../../src/db/database.ts';
import { toGlobalId } from '../../src/ids.ts';
import { realServer } from '../support/database.ts';
import { balanceOf, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';
import { seededServerDatabase, startGatewayProcess } from '../support/server-process.ts';

const TRANSFER = `mutation Transfer($input: TransferInput!) { transfer(input: $input) { id amount } }`;
const TRANSFERS = 300;
const CLIENTS = 16;
/** Responses to wait for before the SIGKILL: the rest of the burst is in flight or not yet sent. */
const KILL_AFTER = 60;

interface Planned {
  key: string;
  token: string;
  from: string;
  to: string;
  amount: string;
}

/** What one attempt at a planned transfer answered: the transaction id, an error code, or nothing (connection lost). */
type Outcome = { id: string } | { code: string } | { lost: string };

async function send(url: string, t: Planned): Promise<Outcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      // the key as request id: the audit records of each planned transfer can be found again
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}`, 'x-request-id': t.key },
      body: JSON.stringify({ query: TRANSFER, variables: { input: { fromAccountId: toGlobalId('Account', t.from), toAccountId: toGlobalId('Account', t.to), amount: t.amount, idempotencyKey: t.key } } }),
    });
    const body = (await response.json()) as { data?: { transfer?: { id: string } }; errors?: { extensions: { code: string } }[] };
    return body.data?.transfer ? { id: body.data.transfer.id } : { code: body.errors?.[0]?.extensions.code ?? String(response.status) };
  } catch (error) {
    return { lost: (error as Error).message };
  }
}

/** Runs `work` over the plan with CLIENTS concurrent loops; `stop` ends the loops early. */
async function burst(plan: Planned[], work: (t: Planned) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < plan.length && !stop()) await work(plan[next++]!);
    }),
  );
}

describe('crash safety', () => {
  it.skipIf(!realServer)(
    'applies every transfer exactly once, with exactly one audit record in its transaction, when the gateway is SIGKILLed mid-burst and the same keys are replayed (needs a PostgreSQL server for a separate gateway process)',
    async () => {
      const db = await seededServerDatabase({ customers: 5 });
      const sql = postgres(db.url, { max: 2, onnotice: () => {}, transform: postgres.camel }) as unknown as Sql;
      let gateway = await startGatewayProcess(db.url);
      try {
        // eight customers with one account of 10,000.00 each: every transfer stays affordable
        const people: { account: string; token: string }[] = [];
        for (let i = 0; i < 8; i++) {
          const id = await newCustomer(sql);
          const account = await openAccount(sql, id, '10000.00');
          people.push({ account, token: await mintToken(DEV_JWT_SECRET, { sub: `crash-${id}`, roles: ['customer'], customerId: toGlobalId('Customer', id) }) });
        }
        const plan: Planned[] = Array.from({ length: TRANSFERS }, (_, i) => {
          const from = people[i % people.length]!;
          const to = people[(i + 1 + randomInt(people.length - 1)) % people.length]!;
          return { key: `crash-${i}`, token: from.token, from: from.account, to: to.account, amount: `${randomInt(1, 10)}.${String(randomInt(0, 100)).padStart(2, '0')}` };
        });
        const expected = new Map<string, bigint>(people.map((p) => [p.account, 1_000_000n]));
        for (const t of plan) {
          const cents = BigInt(t.amount.replace('.', ''));
          expected.set(t.from, expected.get(t.from)! - cents);
          expected.set(t.to, expected.get(t.to)! + cents);
        }

        // the burst, killed after KILL_AFTER answers while the others are in flight
        const first = new Map<string, Outcome>();
        let answered = 0;
        let inFlight = 0;
        let inFlightAtKill = -1;
        let killing: Promise<void> | undefined;
        await burst(
          plan,
          async (t) => {
            inFlight++;
            const outcome = await send(gateway.url, t);
            inFlight--;
            first.set(t.key, outcome);
            if (!('lost' in outcome) && ++answered === KILL_AFTER) {
              inFlightAtKill = inFlight;
              killing = gateway.kill('SIGKILL');
            }
          },
          () => killing !== undefined,
        );
        await killing;
        expect(inFlightAtKill).toBeGreaterThan(0);
        const lost = [...first.values()].filter((o) => 'lost' in o).length;
        expect(lost).toBeGreaterThan(0);

        // restart, and replay every key of the plan until each has its answer
        gateway = await startGatewayProcess(db.url);
        const replayed = new Map<string, string>();
        await burst(plan, async (t) => {
          for (let attempt = 0; attempt < 20; attempt++) {
            const outcome = await send(gateway.url, t);
            if ('id' in outcome) {
              replayed.set(t.key, outcome.id);
              return;
            }
            // only retryable answers are acceptable here
            if ('code' in outcome) expect(['IDEMPOTENCY_IN_PROGRESS', 'SERVICE_UNAVAILABLE']).toContain(outcome.code);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        });
        expect(replayed.size).toBe(TRANSFERS);
        // a transfer answered before the crash is answered with the same transaction after it
        for (const [key, outcome] of first) if ('id' in outcome) expect(replayed.get(key)).toBe(outcome.id);

        // exactly once: one transaction per key, the balances the plan adds up to, a sound ledger
        const [{ keys, transactions }] = await sql<[{ keys: number; transactions: number }]>`
          select count(*)::int as keys, count(distinct transaction_id)::int as transactions
            from idempotency_keys where key like 'crash-%'`;
        expect({ keys, transactions }).toEqual({ keys: TRANSFERS, transactions: TRANSFERS });
        const [{ n }] = await sql<[{ n: number }]>`
          select count(*)::int as n from transactions where type = 'TRANSFER'
             and customer_id in (select customer_id from accounts where id = any(${people.map((p) => p.account)}::bigint[]))`;
        expect(n).toBe(TRANSFERS);
        for (const [account, cents] of expected) {
          expect(await balanceOf(sql, account)).toBe(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`);
        }
        await expectLedgerSound(sql);

        // the audit trail: every committed transfer has exactly one record written in its
        // transaction, and no record claims a transaction that never committed
        const recorded = await sql<{ requestId: string; n: number }[]>`
          select request_id, count(*)::int as n from audit_events
           where action = 'account.transfer' and in_transaction and request_id like 'crash-%' group by request_id`;
        expect(recorded).toHaveLength(TRANSFERS);
        expect(recorded.every((r) => r.n === 1)).toBe(true);
        const committed = await sql<{ key: string }[]>`select key from idempotency_keys where key like 'crash-%' and transaction_id is not null`;
        expect(new Set(recorded.map((r) => r.requestId))).toEqual(new Set(committed.map((k) => k.key)));
        // what the killed process left unsealed, the restarted one seals: one chain, verified
        let unsealed = -1;
        for (let i = 0; i < 100 && unsealed !== 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          [{ unsealed }] = await sql<[{ unsealed: number }]>`select count(*)::int as unsealed from audit_events e where not exists (select 1 from audit_chain c where c.event_id = e.id)`;
        }
        expect(unsealed).toBe(0);
        expect(await verifyChain(sql, systemPermit('AuditEvent', 'audit'), { full: true })).toMatchObject({ verified: true, problem: null });
      } finally {
        await gateway.kill('SIGTERM');
        await sql.end();
        await db.drop();
      }
    },
    120_000,
  );
});
