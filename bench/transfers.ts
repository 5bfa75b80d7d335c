// Sustained transfers per second through the real HTTP/GraphQL path, with idempotency, row locks
// and the AML check on, against a naive transfer without them, in the same run on the same data.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/transfers.ts
//     [--seconds 10] [--warmup 2] [--clients 16] [--customers 2000] [--rounds 3]
//
// Creates its own database on that server, seeds it, and for each variant starts the gateway as
// `fingate start` on a loopback port (the naive one with bench/naive-hooks.mjs swapping the transfer
// implementation), then runs the clients from this process against it. Both variants run the same
// way: one gateway process, the same clients, the same accounts, in alternating rounds (naive
// first, so any cost of a fuller database falls on the real one); the medians decide, because a
// shared machine's neighbours make single runs swing. Prints transfers/s, p50/p99 latency, CPU per
// transfer of the gateway, of PostgreSQL and of the clients, failures by code, the ratio, and
// whether the ledger's invariants hold after each run (exit code 1 if not).

import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { mintToken } from '../src/auth.ts';
import { DEV_JWT_SECRET } from '../src/config.ts';
import type { Sql } from '../src/db/database.ts';
import { toGlobalId } from '../src/ids.ts';
import { ledgerViolations } from '../test/support/ledger.ts';
import { seededServerDatabase, startGatewayProcess } from '../test/support/server-process.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    clients: { type: 'string', default: '16' },
    customers: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CLIENTS = Number(values.clients);
const CUSTOMERS = Number(values.customers);
const ROUNDS = Number(values.rounds);
const TARGET_RATE = 500;
const TARGET_RATIO = 0.5;
// node:http with keep-alive costs the clients a third of fetch's CPU, which the gateway and
// PostgreSQL share with them on a small machine
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

const TRANSFER = /* GraphQL */ `
  mutation Transfer($input: TransferInput!) { transfer(input: $input) { id status amount } }`;

/** An account a client may debit, with its owner's token. */
interface Source {
  accountId: string;
  token: string;
}

interface Result {
  variant: string;
  ok: number;
  failures: Map<string, number>;
  latencies: number[];
  seconds: number;
  sound: boolean;
  /** CPU seconds spent in the measured window by the gateway process, its database backends, and these clients. */
  cpu: { gateway: number; database: number; clients: number };
}

if (!process.env.DATABASE_URL) {
  process.stderr.write('bench/transfers.ts needs a PostgreSQL server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)\n');
  process.exit(2);
}

const db = await seededServerDatabase({ customers: CUSTOMERS, prefix: 'fingate_bench' });
const sql = postgres(db.url, { max: 2, onnotice: () => {}, transform: postgres.camel }) as unknown as Sql;
try {
  await sql`vacuum analyze`;
  const { sources, destinations } = await participants(sql);
  process.stdout.write(`${sources.length} funded accounts, ${destinations.length} destinations, ${CLIENTS} clients, ${WARMUP} s warm-up + ${SECONDS} s\n`);

  const results = { naive: [] as Result[], fingate: [] as Result[] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of ['naive', 'fingate'] as const) {
      const nodeArgs = variant === 'naive' ? ['--import', fileURLToPath(new URL('./naive-hooks.mjs', import.meta.url))] : [];
      const gateway = await startGatewayProcess(db.url, { nodeArgs });
      try {
        const result = await run(variant, gateway.url, sources, destinations, () => cpuOf(gateway.child.pid!, sql));
        result.sound = Object.keys(await ledgerViolations(sql)).length === 0;
        results[variant].push(result);
        report(round, result);
      } finally {
        await gateway.kill('SIGTERM');
      }
    }
  }

  const rate = (r: Result) => r.ok / r.seconds;
  const median = (rs: Result[]) => [...rs].sort((a, b) => rate(a) - rate(b))[Math.floor(rs.length / 2)]!;
  const [naive, fingate] = [median(results.naive), median(results.fingate)];
  const ratio = rate(fingate) / rate(naive);
  const p99 = (r: Result) => percentile(r.latencies, 0.99);
  process.stdout.write(
    `\nmedian of ${ROUNDS}: fingate ${rate(fingate).toFixed(0)} transfers/s (p99 ${p99(fingate)} ms) vs naive ${rate(naive).toFixed(0)} transfers/s (p99 ${p99(naive)} ms): ratio ${ratio.toFixed(2)}` +
      ` (targets: ≥ ${TARGET_RATE}/s ${rate(fingate) >= TARGET_RATE ? 'met' : 'MISSED'}, ≥ ${TARGET_RATIO}× ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})\n`,
  );
  if (![...results.naive, ...results.fingate].every((r) => r.sound)) process.exitCode = 1;
} finally {
  agent.destroy();
  await sql.end();
  await db.drop();
}

/** Funded customer accounts (with their owners' tokens) and every customer account as a destination. */
async function participants(sql: Sql): Promise<{ sources: Source[]; destinations: string[] }> {
  const funded = await sql<{ id: string; customerId: string }[]>`
    select id, customer_id from accounts where kind = 'CUSTOMER' and balance >= 1000 order by id`;
  const all = await sql<{ id: string }[]>`select id from accounts where kind = 'CUSTOMER' order by id`;
  const sources = await Promise.all(
    funded.map(async (a) => ({
      accountId: toGlobalId('Account', a.id),
      token: await mintToken(DEV_JWT_SECRET, { sub: `bench-${a.customerId}`, roles: ['customer'], customerId: toGlobalId('Customer', a.customerId), expiresIn: '1h' }),
    })),
  );
  return { sources, destinations: all.map((a) => toGlobalId('Account', a.id)) };
}

/** CLIENTS loops sending transfers back to back for WARMUP + SECONDS; only the last SECONDS count. */
async function run(variant: string, url: string, sources: Source[], destinations: string[], cpu: () => Promise<Omit<Result['cpu'], 'clients'>>): Promise<Result> {
  const result: Result = { variant, ok: 0, failures: new Map(), latencies: [], seconds: SECONDS, sound: false, cpu: { gateway: 0, database: 0, clients: 0 } };
  const start = performance.now();
  const measureFrom = start + WARMUP * 1000;
  const end = measureFrom + SECONDS * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const source = sources[randomInt(sources.length)]!;
      const toAccountId = destinations[randomInt(destinations.length)]!;
      if (toAccountId === source.accountId) continue;
      const amount = `${randomInt(0, 10)}.${String(randomInt(1, 100)).padStart(2, '0')}`;
      const input = { fromAccountId: source.accountId, toAccountId, amount, idempotencyKey: randomUUID() };
      const sent = performance.now();
      let code = 'OK';
      try {
        const { status, body } = await post(url, source.token, JSON.stringify({ query: TRANSFER, variables: { input } }));
        const answer = JSON.parse(body) as { data?: { transfer?: unknown }; errors?: { extensions?: { code?: string } }[] };
        if (!answer.data?.transfer) code = answer.errors?.[0]?.extensions?.code ?? `HTTP_${status}`;
      } catch (error) {
        code = (error as Error).name;
      }
      const done = performance.now();
      if (sent < measureFrom || done > end) continue;
      if (code === 'OK') {
        result.ok++;
        result.latencies.push(done - sent);
      } else {
        result.failures.set(code, (result.failures.get(code) ?? 0) + 1);
      }
    }
  };
  const clients = Promise.all(Array.from({ length: CLIENTS }, client));
  await new Promise((resolve) => setTimeout(resolve, measureFrom - performance.now()));
  const before = { ...(await cpu()), clients: process.cpuUsage() };
  await new Promise((resolve) => setTimeout(resolve, end - performance.now()));
  const after = { ...(await cpu()), clients: process.cpuUsage(before.clients) };
  await clients;
  result.cpu = { gateway: after.gateway - before.gateway, database: after.database - before.database, clients: (after.clients.user + after.clients.system) / 1e6 };
  return result;
}

/**
 * CPU seconds used so far by a process and by the database's backends serving it (Linux /proc; the
 * machine is shared, so CPU per transfer says more than wall-clock rates when it is busy).
 */
async function cpuOf(pid: number, sql: Sql): Promise<Omit<Result['cpu'], 'clients'>> {
  const seconds = (p: number) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
    } catch {
      return 0;
    }
  };
  const backends = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name = 'fingate'`;
  return { gateway: seconds(pid), database: backends.reduce((sum, b) => sum + seconds(b.pid), 0) };
}

/** POSTs a GraphQL request over a kept-alive connection; resolves with the status and body. */
function post(url: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The q-quantile of latencies in ms, with one decimal. */
function percentile(latencies: number[], q: number): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1) : '-';
}

function report(round: number, r: Result): void {
  const at = (q: number) => percentile(r.latencies, q);
  const failures = [...r.failures].map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  const perTransfer = (cpuSeconds: number) => (r.ok ? ((cpuSeconds * 1000) / r.ok).toFixed(2) : '-');
  process.stdout.write(
    `round ${round} ${r.variant.padEnd(8)} ${(r.ok / r.seconds).toFixed(0).padStart(5)} transfers/s  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  ` +
      `cpu/transfer: gateway ${perTransfer(r.cpu.gateway)} ms, postgres ${perTransfer(r.cpu.database)} ms, clients ${perTransfer(r.cpu.clients)} ms  ` +
      `failures: ${failures}  ledger ${r.sound ? 'sound' : 'BROKEN'}\n`,
  );
}
