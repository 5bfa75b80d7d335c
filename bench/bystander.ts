// A bystander's latency while someone sends fan-outs (issue 12.4): one customer sends `{ me { id } }`
// back to back, in four phases of the same length: alone; beside --senders clients sending cheap
// requests back to back (the load baseline: what any busy neighbour costs on this machine); beside
// the same clients sending the fan-out (three nested pages of 100 transactions, about four
// million values by the cost estimate) to the gateway as it ships; and the same against that
// gateway with the cost limit off, to show what the limit prevents. One seeded database, gateways
// in this process on loopback ports, every client in a worker thread, so that a gateway busy with
// a fan-out cannot delay the clients' own clocks.
//
//   npx tsx bench/bystander.ts [--seconds 2] [--senders 2] [--deadline 2000] [--customers 200]
//
// Before measuring, one customer makes 120 small transfers through the API, so that the newest 100
// transactions are theirs and each level of the fan-out really returns 100 rows (1,000,000 at the
// third). The limit-off phase keeps a deadline (--deadline ms); it cuts a fan-out only where it
// waits, so the phase overruns. Exits 1 when a fan-out got through the shipped gateway, or when
// refused fan-outs slowed the bystander clearly more than cheap requests do (median over 2× the
// baseline's and 5 ms above it; with a hundred-odd samples a phase's p99 is nearly its maximum,
// too noisy on a shared machine to judge by).

import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createClient, type Sql } from '../src/db/database.ts';
import { createGateway } from '../src/gateway.ts';
import { toGlobalId } from '../src/ids.ts';
import { DEFAULT_LIMITS, type Limits } from '../src/limits.ts';
import { listen, type RunningServer } from '../src/server.ts';
import { postGraphQL } from '../test/support/http.ts';
import { expectData, openBench, SERVER_URL, table, type Bench } from './support.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    senders: { type: 'string', default: '2' },
    deadline: { type: 'string', default: '2000' },
    customers: { type: 'string', default: '200' },
  },
});
const SECONDS = Number(values.seconds);
const SENDERS = Number(values.senders);
const DEADLINE_MS = Number(values.deadline);

const FAN_OUT = /* GraphQL */ `
  query FanOut {
    transactions(first: 100) { edges { node { id amount customer {
      transactions(first: 100) { edges { node { id amount customer {
        transactions(first: 100) { edges { node { id amount } } } } } } } } } } }
  }`;
const ME = 'query Me { me { id } }';

// The clients of one phase, run in a worker thread: the bystander sends `me` back to back and times
// each answer; each sender sends `query` back to back and drains the body without parsing it.
const CLIENTS = `
const { workerData, parentPort } = require('node:worker_threads');
const { url, me, senders, query, token, seconds } = workerData;
const post = (q, t) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + t }, body: JSON.stringify({ query: q }) });
const end = performance.now() + seconds * 1000;
const latencies = [];
const failures = {};
const statuses = {};
const sender = async () => {
  while (performance.now() < end) {
    const response = await post(query, token);
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  }
};
const bystander = async () => {
  // the senders' first requests arrive first
  if (senders > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  while (performance.now() < end) {
    const sent = performance.now();
    const response = await post('query Me { me { id } }', me);
    const body = await response.json();
    latencies.push(performance.now() - sent);
    const code = body.errors?.[0]?.extensions?.code;
    if (code) failures[code] = (failures[code] ?? 0) + 1;
    else if (!body.data?.me?.id) throw new Error('bystander: ' + JSON.stringify(body));
  }
};
Promise.all([bystander(), ...Array.from({ length: senders }, sender)]).then(() => parentPort.postMessage({ latencies, failures, statuses }));
`;

/** What the clients of one phase saw. */
interface Phase {
  name: string;
  /** The bystander's latencies, ms, failed requests included. */
  latencies: number[];
  /** The bystander's failed requests by error code (REQUEST_TIMEOUT when it waited out its deadline). */
  failures: Record<string, number>;
  /** HTTP statuses of the senders' requests, with counts. */
  statuses: Record<number, number>;
}

const bench = await openBench({ customers: Number(values.customers) });
const servers: { server: RunningServer; sql: Sql }[] = [];
let failed = false;
try {
  const shipped = await gatewayUrl(bench, DEFAULT_LIMITS);
  const unlimited = await gatewayUrl(bench, { maxCost: Number.MAX_SAFE_INTEGER, requestTimeoutMs: DEADLINE_MS });
  const { busy, bystander } = await customers(bench.db.sql);
  await makeBusy(shipped, busy);
  const me = await bench.customerToken(bystander);
  const staff = await bench.token({ roles: ['compliance'] });
  expectData(await postGraphQL(shipped, ME, { token: me }), 'bystander warm-up');
  expectData(await postGraphQL(shipped, '{ transactions(first: 3) { edges { node { id } } } }', { token: staff }), 'staff warm-up');

  const alone = await phase('alone', shipped, { me });
  const baseline = await phase(`${SENDERS} senders of { me { id } } (load baseline)`, shipped, { me, senders: SENDERS, query: ME, token: staff });
  const on = await phase(`${SENDERS} senders of the fan-out, cost limit on (as shipped)`, shipped, { me, senders: SENDERS, query: FAN_OUT, token: staff });
  const off = await phase(`${SENDERS} senders of the fan-out, cost limit off, ${DEADLINE_MS} ms deadline`, unlimited, { me, senders: SENDERS, query: FAN_OUT, token: staff });
  const phases = [alone, baseline, on, off];
  const p = (phase: Phase, q: number) => percentile(phase.latencies, q);
  console.log(`\nbystander: { me { id } } back to back for ${SECONDS} s per phase; senders as compliance, back to back`);
  console.log(
    table(
      ['phase', 'bystander requests', 'failed', 'p50 ms', 'p99 ms', 'max ms', 'p99 / alone', 'senders: HTTP status × n'],
      phases.map((phase) => [
        phase.name,
        phase.latencies.length,
        Object.entries(phase.failures).map(([code, n]) => `${n} ${code}`).join(', ') || '0',
        p(phase, 0.5).toFixed(1),
        p(phase, 0.99).toFixed(1),
        Math.max(0, ...phase.latencies).toFixed(0),
        `${(p(phase, 0.99) / p(alone, 0.99)).toFixed(1)}×`,
        Object.entries(phase.statuses).map(([status, n]) => `${status} × ${n}`).join(', ') || '—',
      ]),
    ),
  );
  if (Object.keys(on.statuses).some((status) => status !== '400') || Object.keys(on.failures).length) failed = true;
  if (p(on, 0.5) > 2 * p(baseline, 0.5) && p(on, 0.5) > p(baseline, 0.5) + 5) failed = true;
} finally {
  for (const { server, sql } of servers) {
    await server.close(1000);
    await sql.end({ timeout: 5 });
  }
  await bench.close();
}
if (failed) {
  console.log('\nFAIL: a fan-out got through the shipped gateway, or refusing fan-outs slowed the bystander more than cheap requests do');
  process.exit(1);
}
console.log('\nOK: the shipped gateway refused every fan-out, and refusing them cost the bystander no more than cheap requests do');

/** A gateway with these limits on its own client (no statement hook: nothing extra per query). */
async function gatewayUrl(bench: Bench, limits: Limits): Promise<string> {
  const url = new URL(SERVER_URL);
  url.pathname = `/${bench.databaseName}`;
  const sql = createClient(url.toString(), { max: 10, applicationName: 'fingate-bench' });
  const gateway = createGateway({ sql, authenticate: bench.authenticate, policies: bench.policies, limits, logError: () => {} });
  const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  servers.push({ server, sql });
  return server.url;
}

/** A customer with a funded account and someone else's account to pay into, and a third customer as the bystander. */
async function customers(sql: Sql): Promise<{ busy: { key: string; from: string; to: string }; bystander: string }> {
  const [from] = await sql<{ id: string; customerId: string }[]>`
    select id, customer_id from accounts where kind = 'CUSTOMER' and balance >= 1000 order by id limit 1`;
  if (!from) throw new Error('no funded customer account in the seeded data');
  const [to] = await sql<{ id: string }[]>`select id from accounts where kind = 'CUSTOMER' and customer_id <> ${from.customerId} order by id limit 1`;
  const [other] = await sql<{ id: string }[]>`select id from customers where id <> ${from.customerId} order by id desc limit 1`;
  return { busy: { key: from.customerId, from: from.id, to: to!.id }, bystander: other!.id };
}

/** 120 transfers of ¥1.00 by one customer, through the API: the newest 100 transactions are theirs. */
async function makeBusy(url: string, busy: { key: string; from: string; to: string }): Promise<void> {
  const token = await bench.customerToken(busy.key);
  const input = { fromAccountId: toGlobalId('Account', busy.from), toAccountId: toGlobalId('Account', busy.to), amount: '1.00' };
  for (let i = 0; i < 120; i++) {
    expectData(
      await postGraphQL(url, 'mutation T($input: TransferInput!) { transfer(input: $input) { id } }', { token, variables: { input: { ...input, idempotencyKey: randomUUID() } } }),
      'transfer',
    );
  }
}

/** One phase: the bystander and `senders` clients for SECONDS, all in a worker; waits for the last answer. */
function phase(name: string, url: string, clients: { me: string; senders?: number; query?: string; token?: string }): Promise<Phase> {
  process.stderr.write(`bench: ${name}…\n`);
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENTS, { eval: true, workerData: { url, senders: 0, seconds: SECONDS, ...clients } });
    worker.once('message', (result: Omit<Phase, 'name'>) => resolve({ name, ...result }));
    worker.once('error', reject);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
