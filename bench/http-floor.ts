// How close fingate's whole request path comes to a hand-written handler running the same SQL
// (issue 11). Three servers, each its own process on the same seeded database, measured in one run:
//   - fingate: `fingate start` in production mode with a real GATEWAY_JWT_SECRET and audit signing
//     key, every policy module configured (the audit trail included);
//   - the floor: node:http + postgres.js by hand (bench/floor/handler.ts), sending exactly the
//     statements fingate sends: both are recorded for one request of each workload first
//     (postgres.js `debug`), and the run stops if they differ;
//   - bare yoga (W1 only, context): graphql-yoga's defaults, one resolver running W1's statement.
// Workloads (bench/floor/workloads.ts): W1 `customer(id:)` 7 fields, masked, by a service with a
// purpose; W2 `transactions(first: 100)` with product, issuer and customer; W3 a transfer of 1.00
// between customers, a new idempotency key each, a token per payer.
// The servers share one core and the load generator (autocannon, in this process) has the other
// (`taskset`); for each workload the servers take turns, round after round, and medians decide.
// Prints req/s, p50/p99, CPU µs per request (the server process's CPU over the requests it
// answered) and statements per request, with each server's ratio to the floor.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/http-floor.ts
//     [--customers 20000] [--seconds 5] [--warmup 2] [--rounds 3] [--connections 10] [--workloads W1,W2,W3]
//     [--profile fingate|floor --workloads W1]   (writes a CPU profile of that server to bench/profiles/;
//                                                 unpinned, so the database's work is not charged to it)
//     [--baseline DIR]                           (adds "baseline": fingate from another checkout, e.g. of
//                                                 main before a change, measured in the same run)
//
// Exits 1 when a target is missed, a request fails, or the floor's statements differ from fingate's.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { mintToken } from '../src/auth.ts';
import { toGlobalId } from '../src/ids.ts';
import { startGatewayProcess } from '../test/support/server-process.ts';
import { createFloorHandler } from './floor/handler.ts';
import { W1, W2, W3 } from './floor/workloads.ts';
import { benchClient, openBench, table, type Bench, type Statement } from './support.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    workloads: { type: 'string', default: 'W1,W2,W3' },
    profile: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const TARGETS: Record<string, number> = { W1: 0.35, W2: 0.6, W3: 0.5 };
const P99_LIMIT = 3;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
// production mode signs audit checkpoints: a key of this run's own
const AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// the server's core and the load generator's
const [SERVER_CPU, LOAD_CPU] = availableParallelism() >= 2 ? ['0', '1'] : [undefined, undefined];

type ServerName = 'floor' | 'fingate' | 'baseline' | 'bare yoga';
type WorkloadName = 'W1' | 'W2' | 'W3';

interface Server {
  name: ServerName;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

/** What one request of a workload sends: its body and headers, made anew for each request. */
type Requests = () => { headers: Record<string, string>; body: string };

let failed = false;
/** Answers of the current load run that carried GraphQL errors, and the first of them. */
let graphqlErrors = 0;
let firstError = '';
const fail = (message: string) => {
  failed = true;
  console.log(`FAIL: ${message}`);
};

if (!process.env.DATABASE_URL) {
  process.stderr.write('bench/http-floor.ts needs a PostgreSQL server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)\n');
  process.exit(2);
}
// a profiled server runs unpinned: the profiler samples wall time, and on a shared core the
// database backend a socket write wakes would run inside the writer's samples
const PIN = !values.profile;
if (LOAD_CPU && PIN) pin(process.pid, LOAD_CPU);
const workloads = values.workloads.split(',') as WorkloadName[];
const started = loadavg()[0]!;

const bench = await openBench({ customers: Number(values.customers), seedName: 'floor' });
const servers: Server[] = [];
// the servers log in as a role that is only a member of fingate_app, as production requires
const login = `floor_${randomBytes(4).toString('hex')}`;
try {
  await bench.db.sql`vacuum analyze`;
  await bench.db.sql.unsafe(`create role ${login} login in role fingate_app`);
  const serverUrl = new URL(bench.url);
  serverUrl.username = login;
  const secret = randomBytes(36).toString('base64url');
  const requests = await workloadRequests(bench, secret);
  const statements = await recordStatements(bench, workloads);

  const wanted: ServerName[] = values.profile
    ? [values.profile as ServerName]
    : ['floor', 'fingate', ...(values.baseline ? (['baseline'] as const) : []), ...(workloads.includes('W1') ? (['bare yoga'] as const) : [])];
  for (const name of wanted) servers.push(await startServer(name, { url: serverUrl.toString(), ownerUrl: bench.url }, secret, values.profile === name));
  console.log(
    `${values.customers} customers; servers on CPU ${SERVER_CPU ?? 'any'}, load generator on CPU ${LOAD_CPU ?? 'any'}; ${CONNECTIONS} connections, ` +
      `${WARMUP} s warm-up + ${SECONDS} s per measurement, ${ROUNDS} rounds; load average ${started.toFixed(1)}`,
  );

  const results = new Map<string, Measurement[]>();
  for (const workload of workloads) {
    for (let round = 1; round <= ROUNDS; round++) {
      // the servers take turns, starting with a different one each round, so drift falls on all
      const order = servers.filter((s) => s.name !== 'bare yoga' || workload === 'W1');
      for (let i = 0; i < order.length; i++) {
        const server = order[(i + round - 1) % order.length]!;
        const measurement = await measure(server, requests[workload]);
        const key = `${workload} ${server.name}`;
        results.set(key, [...(results.get(key) ?? []), measurement]);
        console.log(
          `${workload} round ${round} ${server.name.padEnd(9)} ${measurement.rps.toFixed(0).padStart(6)} req/s  p50 ${measurement.p50} ms  p99 ${measurement.p99} ms  ${measurement.cpuUs.toFixed(0)} µs CPU/req  RSS ${rssMiB(server.pid)} MiB`,
        );
      }
    }
  }
  if (!values.profile) report(results, statements, workloads);
} finally {
  for (const server of servers) await server.stop();
  await bench.db.sql.unsafe(`drop role if exists ${login}`).catch(() => {});
  await bench.close();
}
console.log(`load average: ${started.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`);
if (failed) process.exit(1);

/** The requests of each workload: tokens signed with the servers' secret. */
async function workloadRequests(bench: Bench, secret: string): Promise<Record<WorkloadName, Requests>> {
  const sql = bench.db.sql;
  const json = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  const service = (scope: string) => mintToken(secret, { sub: 'bench-service', roles: ['service'], scope, expiresIn: '2h' });
  const [w1Token, w2Token] = await Promise.all([service(W1.scope), service(W2.scope)]);
  const customers = await sql<{ id: string }[]>`select id from customers order by id`;
  let next = 0;
  const w1: Requests = () => ({
    headers: { ...json, authorization: `Bearer ${w1Token}`, 'x-access-purpose': W1.purpose },
    body: JSON.stringify({ query: W1.query, variables: { id: toGlobalId('Customer', customers[next++ % customers.length]!.id) } }),
  });
  const w2Body = JSON.stringify({ query: W2.query });
  const w2: Requests = () => ({ headers: { ...json, authorization: `Bearer ${w2Token}`, 'x-access-purpose': W2.purpose }, body: w2Body });

  // payers with enough for every transfer of the run; payees any other customer account in CNY
  const payers = await sql<{ id: string; customerId: string }[]>`
    select id, customer_id from accounts where kind = 'CUSTOMER' and currency = 'CNY' and balance >= 1000 order by id`;
  const payees = await sql<{ id: string }[]>`select id from accounts where kind = 'CUSTOMER' and currency = 'CNY' order by id`;
  const tokens = await Promise.all(
    payers.map((p) => mintToken(secret, { sub: `bench-customer-${p.customerId}`, roles: ['customer'], customerId: toGlobalId('Customer', p.customerId), expiresIn: '2h' })),
  );
  let transfer = 0;
  const w3: Requests = () => {
    const i = transfer++;
    const payer = payers[i % payers.length]!;
    let payee = payees[(i * 7919) % payees.length]!;
    if (payee.id === payer.id) payee = payees[(i * 7919 + 1) % payees.length]!;
    const input = { fromAccountId: toGlobalId('Account', payer.id), toAccountId: toGlobalId('Account', payee.id), amount: W3.amount, idempotencyKey: randomUUID() };
    return { headers: { ...json, authorization: `Bearer ${tokens[i % payers.length]}` }, body: JSON.stringify({ query: W3.query, variables: { input } }) };
  };
  return { W1: w1, W2: w2, W3: w3 };
}

/**
 * The statements fingate and the floor send for one request of each workload, recorded in this
 * process (postgres.js `debug`) after a warm-up request; the run stops when the floor's differ.
 * Also holds the floor to fingate's answer (the data, without `extensions`).
 */
async function recordStatements(bench: Bench, names: readonly WorkloadName[]): Promise<Record<string, number>> {
  const secret = randomBytes(36).toString('base64url');
  const recordedRequests = await workloadRequests(bench, secret);
  const gateway = await bench.gateway({ recordStatements: true });
  let floorStatements: Statement[] = [];
  const floorSql = benchClient(bench.url, { debug: (connection, text) => void (/\bpg_catalog\.pg_type\b/.test(text) || floorStatements.push({ connection, text })) });
  const floorServer = createServer(createFloorHandler({ sql: floorSql, secret }));
  await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
  const floorUrl = `http://127.0.0.1:${(floorServer.address() as { port: number }).port}/graphql`;
  // the in-process gateway verifies tokens with the development secret: sign its requests with that
  const devRequests = await workloadRequests(bench, (await import('../src/config.ts')).DEV_JWT_SECRET);
  const counts: Record<string, number> = {};
  try {
    for (const name of names) {
      const send = async (url: string, make: Requests) => {
        const { headers, body } = make();
        const response = await fetch(url, { method: 'POST', headers, body });
        return (await response.json()) as { data?: unknown; errors?: unknown };
      };
      await send(gateway.url, devRequests[name]);
      await send(floorUrl, recordedRequests[name]);
      gateway.statements.reset();
      floorStatements = [];
      const fingateAnswer = await send(gateway.url, devRequests[name]);
      const floorAnswer = await send(floorUrl, recordedRequests[name]);
      if (fingateAnswer.errors || !fingateAnswer.data) throw new Error(`${name}: fingate answered ${JSON.stringify(fingateAnswer).slice(0, 400)}`);
      if (floorAnswer.errors || !floorAnswer.data) throw new Error(`${name}: the floor answered ${JSON.stringify(floorAnswer).slice(0, 400)}`);
      // the same request answers the same (a transfer's ids are new each time)
      if (name !== 'W3' && JSON.stringify(fingateAnswer.data) !== JSON.stringify(floorAnswer.data)) {
        fail(`${name}: the floor's data differs from fingate's:\n  fingate ${JSON.stringify(fingateAnswer.data).slice(0, 300)}\n  floor   ${JSON.stringify(floorAnswer.data).slice(0, 300)}`);
      }
      const fingate = normalized(gateway.statements.statements);
      const floor = normalized(floorStatements);
      counts[`${name} fingate`] = fingate.length;
      counts[`${name} floor`] = floor.length;
      if (JSON.stringify(fingate) !== JSON.stringify(floor)) {
        fail(`${name}: the floor's statements differ from fingate's`);
        console.log(`  fingate:\n${fingate.map((s) => `    ${s}`).join('\n')}\n  floor:\n${floor.map((s) => `    ${s}`).join('\n')}`);
      }
    }
  } finally {
    floorServer.close();
    await floorSql.end({ timeout: 1 });
    await gateway.close();
  }
  if (failed) throw new Error('the floor does not send what fingate sends: fix bench/floor/handler.ts before measuring');
  counts['W1 bare yoga'] = 1;
  return counts;
}

/** Statement texts with their whitespace collapsed, in a stable order (concurrent loads may swap). */
function normalized(statements: readonly Statement[]): string[] {
  return statements.map((s) => s.text.replace(/\s+/g, ' ').trim()).sort();
}

async function startServer(name: ServerName, database: { url: string; ownerUrl: string }, secret: string, profile: boolean): Promise<Server> {
  const databaseUrl = database.url;
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${ROOT}bench/profiles`] : [];
  if (name === 'fingate' || name === 'baseline') {
    const root = name === 'baseline' ? resolve(values.baseline!) : undefined;
    const gateway = await startGatewayProcess(databaseUrl, { nodeArgs: profiling, root, env: { NODE_ENV: 'production', GATEWAY_JWT_SECRET: secret, FINGATE_AUDIT_SIGNING_KEY: AUDIT_KEY, DATABASE_OWNER_URL: database.ownerUrl } });
    if (SERVER_CPU && PIN) pin(gateway.child.pid!, SERVER_CPU);
    return { name, url: gateway.url, pid: gateway.child.pid!, stop: () => gateway.kill('SIGTERM') };
  }
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', 'bench/floor/serve.ts', name === 'floor' ? 'floor' : 'bare-yoga'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, GATEWAY_JWT_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /serving (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before serving`)));
  });
  if (SERVER_CPU && PIN) pin(child.pid!, SERVER_CPU);
  return { name, url, pid: child.pid!, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/** Pins every thread of a process to one CPU. */
function pin(pid: number, cpu: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

/** A warm-up, then the measured run with the server's CPU time read before and after. */
async function measure(server: Server, make: Requests): Promise<Measurement> {
  await load(server.url, make, WARMUP);
  const before = cpuSeconds(server.pid);
  const result = await load(server.url, make, SECONDS);
  const cpu = cpuSeconds(server.pid) - before;
  const ok = result['2xx'] - graphqlErrors;
  if (result.non2xx || result.errors || result.timeouts || graphqlErrors) fail(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${graphqlErrors} GraphQL errors (${firstError})`);
  return { rps: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, cpuUs: (cpu * 1e6) / Math.max(1, result['2xx']) };
}

function load(url: string, make: Requests, seconds: number): Promise<Result> {
  graphqlErrors = 0;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request: object) => ({ ...request, ...make() }),
        onResponse: (_status: number, body: string) => {
          if (body.startsWith('{"errors"') || body.includes('"errors":[')) {
            if (graphqlErrors++ === 0) firstError = body.slice(0, 300);
          }
        },
      },
    ],
  });
}

/** utime + stime of a process (all its threads), in seconds (Linux /proc, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory (Linux /proc), in MiB. */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kib) / 1024);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function report(results: Map<string, Measurement[]>, statements: Record<string, number>, names: readonly WorkloadName[]): void {
  const rows: (string | number)[][] = [];
  for (const workload of names) {
    const floor = results.get(`${workload} floor`)!;
    for (const name of ['floor', 'fingate', 'baseline', 'bare yoga'] as const) {
      const runs = results.get(`${workload} ${name}`);
      if (!runs) continue;
      // each round's ratio to the floor's run of the same round
      const ratios = runs.map((r, i) => r.rps / floor[i]!.rps);
      const ratio = median(ratios);
      const p99 = median(runs.map((r) => r.p99));
      const p99Ratio = p99 / median(floor.map((r) => r.p99));
      let verdict = '';
      if (name === 'fingate') {
        const met = ratio >= TARGETS[workload]! && p99Ratio <= P99_LIMIT;
        verdict = `${met ? 'met' : 'MISSED'} (≥ ${TARGETS[workload]}×, p99 ≤ ${P99_LIMIT}×)`;
        if (!met) fail(`${workload}: fingate at ${ratio.toFixed(2)}× of the floor, p99 ${p99Ratio.toFixed(1)}× the floor's`);
      }
      rows.push([
        workload,
        name,
        median(runs.map((r) => r.rps)).toFixed(0),
        `${ratio.toFixed(2)}×`,
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
        median(runs.map((r) => r.p50)),
        p99,
        median(runs.map((r) => r.cpuUs)).toFixed(0),
        // what the throughput ratio would be where each request's CPU is what limits it
        `${median(runs.map((r, i) => floor[i]!.cpuUs / r.cpuUs)).toFixed(2)}×`,
        statements[`${workload} ${name}`] ?? '-',
        verdict,
      ]);
    }
  }
  console.log(`\nmedians of ${ROUNDS} rounds`);
  console.log(table(['workload', 'server', 'req/s', '/ floor', 'range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'floor CPU / CPU', 'statements/req', 'target'], rows));
}
