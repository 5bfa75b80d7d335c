// What the audit trail costs and how fast it seals, in one run on one seeded database:
//   1. sealing: records inserted as the gateway writes them (one multi-row INSERT per batch), then
//      sealed by the sealer into the hash chain (records/s), and the chain verified from the first
//      record (records/s);
//   2. reads with the audit module on vs off: one gateway whose version set includes the audit
//      observer or not, switched between alternating rounds (as bench/policy-overhead.ts does),
//      load-tested with autocannon over loopback: customer(id:) and customers(first: 100), read
//      by compliance with a declared purpose, so personal fields are read and masked.
//
//   npx tsx bench/audit.ts [--records 100000] [--seconds 2.5] [--rounds 4] [--warmup 1]
//     [--connections 10] [--customers 200] [--skip-load]
//
// Targets: sealing ≥ 20,000 records/s; reads with recording ≥ 0.8× without (median of rounds).
// Exits 1 when a target is missed or a request failed.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { newSigningKey, signerFrom } from '../src/audit/checkpoint.ts';
import { insertRecords, type AuditRecord } from '../src/audit/record.ts';
import { startSealer } from '../src/audit/sealer.ts';
import { verifyChain } from '../src/audit/verify.ts';
import { systemPermit } from '../src/data/system.ts';
import type { Sql } from '../src/db/database.ts';
import type { PolicyRuntime, VersionSet } from '../src/policy/runtime.ts';
import { benchClient, expectData, openBench, table, type Bench, type BenchGateway } from './support.ts';

const PURPOSE = 'risk-control';
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '2.5' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    customers: { type: 'string', default: '200' },
    'skip-load': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(values.records);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const TARGET_SEAL = 20_000;
const TARGET_RATIO = 0.8;
let failed = false;

// ---------------------------------------------------------------------------------------------
// Sealing
// ---------------------------------------------------------------------------------------------

/**
 * A record like a read by an advisor of `ids.length` customers: customer(id:) is one id,
 * customers(first: 100) a hundred; the same fields, verdicts, obligations and input otherwise.
 */
function syntheticRecord(i: number, ids: readonly string[]): AuditRecord {
  const at = new Date();
  return {
    at,
    kind: 'access',
    retainUntil: new Date(at.getTime() + 3 * 365 * 86_400_000),
    requestId: `bench-${i}`,
    operation: ids.length === 1 ? 'Customer' : 'Customers',
    operationHash: 'f'.repeat(64),
    actor: `advisor-${i % 50}`,
    roles: ['advisor'],
    purpose: PURPOSE,
    action: 'customer.read',
    resourceType: 'Customer',
    resourceIds: ids,
    customerIds: ids,
    fieldPath: ids.length === 1 ? 'customer' : 'customers',
    fields: ['customers', 'customers.edges.node.name', 'customers.edges.node.idNumber', 'customers.edges.node.phone'],
    masked: ['customers.edges.node.idNumber', 'customers.edges.node.phone'],
    hidden: [],
    decision: 'ALLOW',
    failed: false,
    inTransaction: false,
    // as many versions as are in force today, as long
    policies: ['access@4', 'privacy@2', 'suitability@2', 'aml@2', 'risk-questionnaire@1', 'licensing@1', 'disclosure@1', 'cooling-off@1', 'audit@3'],
    policySha256: Array.from({ length: 9 }, (_, k) => String(k).repeat(64)),
    reasons: ['SAME_INSTITUTION', 'MASKED_FOR_STAFF'],
    detail: {
      verdicts: [{ policy: 'access@4', effect: 'allow', reasons: [{ code: 'SAME_INSTITUTION', message: 'Advisors serve the customers of their own institution', regulation: '《个人信息保护法》第51条' }] }],
      obligations: { rows: { op: 'eq', field: 'institutionId', value: '1' }, mask: { idNumber: { keepStart: 3, keepEnd: 4 }, phone: { keepStart: 3, keepEnd: 4 } } },
      shadow: [],
      input: { principal: { id: `advisor-${i % 50}`, roles: ['advisor'], scopes: [], institutionId: '1' }, purpose: PURPOSE, action: 'customer.read', now: at.toISOString() },
    },
  };
}

// CPU time (Linux /proc) of this process and of the one PostgreSQL backend a client uses: unlike
// wall time, it hardly moves when other work on this shared machine takes the cores away.
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function backendCpuMs(pid: number, file = `/proc/${pid}/stat`): number {
  try {
    const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** Runs `work` on a one-connection client; wall seconds, and CPU ms of this process and of the backend. */
async function timed(sql: Sql, work: () => Promise<unknown>): Promise<{ seconds: number; cpuMs: number }> {
  const [{ pid }] = await sql<[{ pid: number }]>`select pg_backend_pid() as pid`;
  const backend = backendCpuMs(pid);
  const mine = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(mine);
  return { seconds: (performance.now() - started) / 1000, cpuMs: (used.user + used.system) / 1000 + (backendCpuMs(pid) - backend) };
}

/** Inserts RECORDS records of `ids.length` customers each, seals and verifies them; one table row per step. */
async function sealing(sql: Sql, shape: string, ids: readonly string[]): Promise<(string | number)[][]> {
  process.stderr.write(`seal: ${shape}: inserting ${RECORDS} records in batches of 2,000…\n`);
  const insert = await timed(sql, async () => {
    for (let i = 0; i < RECORDS; i += 2000) {
      await insertRecords(sql, Array.from({ length: Math.min(2000, RECORDS - i) }, (_, k) => syntheticRecord(i + k, ids)));
    }
  });
  const signer = signerFrom(newSigningKey());
  const sealer = startSealer({ sql, signer, intervalMs: 0 });
  process.stderr.write(`seal: ${shape}: sealing…\n`);
  let sealed = 0;
  const seal = await timed(sql, async () => (sealed = await sealer.sealNow()));
  await sealer.checkpointNow();
  await sealer.close();
  let verified = false;
  const verify = await timed(sql, async () => (verified = (await verifyChain(sql, systemPermit('AuditEvent', 'audit'), { publicKey: signer.publicKey, full: true })).verified));
  if (!verified || sealed < RECORDS) throw new Error(`sealed ${sealed} of ${RECORDS}; verified: ${verified}`);
  const sealRate = sealed / seal.seconds;
  if (sealRate < TARGET_SEAL) failed = true;
  const row = (step: string, n: number, t: { seconds: number; cpuMs: number }, target: string, verdict: string) => [
    shape,
    step,
    n,
    t.seconds.toFixed(2),
    (n / t.seconds).toFixed(0),
    Number.isNaN(t.cpuMs) ? '-' : ((n / t.cpuMs) * 1000).toFixed(0),
    target,
    verdict,
  ];
  return [
    row('insert (batches of 2,000)', RECORDS, insert, '(info)', ''),
    row('seal (10,000 per round)', sealed, seal, `≥ ${TARGET_SEAL}`, sealRate >= TARGET_SEAL ? 'ok' : 'MISSED'),
    row('verify (from the first record)', sealed, verify, '(info)', ''),
  ];
}

// ---------------------------------------------------------------------------------------------
// Reads, audit on vs off
// ---------------------------------------------------------------------------------------------

interface Run {
  requests: number;
  seconds: number;
  p99: number;
  errors: number;
  /** CPU of the gateway's thread and of the database's backends, µs per answered request. */
  cpuPerRequest: number;
}

/** CPU ms so far of this process's main thread (the gateway's) and of every backend of the bench database. */
async function cpuMs(sql: Sql): Promise<Map<string, number>> {
  const pids = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`;
  const cpu = new Map(pids.map(({ pid }) => [`pg ${pid}`, backendCpuMs(pid)]));
  cpu.set('gateway', backendCpuMs(process.pid, `/proc/self/task/${process.pid}/stat`));
  return cpu;
}

/** CPU used between two readings; a backend that appeared in between counts all it used. */
function cpuBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [key, ms] of after) if (!Number.isNaN(ms)) total += ms - (before.get(key) ?? 0);
  return total;
}

async function load(gateway: BenchGateway, sql: Sql, token: string, body: string, seconds: number): Promise<Run> {
  const logged = gateway.errors;
  const cpu = await cpuMs(sql);
  const result = await autocannon({
    url: gateway.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}`, 'x-access-purpose': PURPOSE },
    body,
    connections: CONNECTIONS,
    duration: seconds,
    workers: 1,
  });
  // requests autocannon abandoned at the deadline still run here: let them finish
  await sleep(300);
  const used = cpuBetween(cpu, await cpuMs(sql));
  return {
    requests: result['2xx'],
    seconds: result.duration,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + (gateway.errors - logged),
    cpuPerRequest: (used * 1000) / Math.max(1, result['2xx']),
  };
}

const rate = (run: { requests: number; seconds: number }) => run.requests / run.seconds;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function reads(bench: Bench): Promise<{ rows: (string | number)[][]; rounds: (string | number)[][] }> {
  const token = await bench.token({ roles: ['compliance'] });
  let variant: 'off' | 'on' = 'on';
  const withoutAudit = new WeakMap<VersionSet, VersionSet>();
  // one gateway, one pool: only whether the version set carries the audit observer differs
  const gateway = await bench.gateway({
    runtime: (real: PolicyRuntime) => ({
      ...real,
      at(now) {
        const set = real.at(now);
        if (variant === 'on') return set;
        let off = withoutAudit.get(set);
        if (!off) withoutAudit.set(set, (off = { ...set, observers: set.observers.filter((o) => o.module !== 'audit') }));
        return off;
      },
    }),
  });
  const use = (v: 'off' | 'on') => ((variant = v), gateway);
  const ids = expectData(await use('on').request(`{ customers(first: 1) { edges { node { id } } } }`, { token }), 'customers') as any;
  const scenarios = [
    { name: 'customer(id:)', query: `query C($id: ID!) { customer(id: $id) { id name idNumber phone email investorType riskProfile { tolerance } } }`, variables: { id: ids.customers.edges[0].node.id } },
    { name: 'customers(first: 100)', query: `query L { customers(first: 100) { edges { node { id name idNumber phone investorType } } } }`, variables: {} },
  ];
  // "on" records, "off" does not
  const [{ n: before }] = await bench.db.sql<[{ n: number }]>`select count(*)::int as n from audit_events`;
  expectData(await use('off').request(scenarios[0]!.query, { token, variables: scenarios[0]!.variables, purpose: PURPOSE }), 'off');
  const [{ n: afterOff }] = await bench.db.sql<[{ n: number }]>`select count(*)::int as n from audit_events`;
  expectData(await use('on').request(scenarios[0]!.query, { token, variables: scenarios[0]!.variables, purpose: PURPOSE }), 'on');
  const [{ n: afterOn }] = await bench.db.sql<[{ n: number }]>`select count(*)::int as n from audit_events`;
  if (afterOff !== before || afterOn <= afterOff) throw new Error(`audit off wrote ${afterOff - before} records, on ${afterOn - afterOff}: the variants are not what they claim`);

  const rows: (string | number)[][] = [];
  const perRound: (string | number)[][] = [];
  for (const { name, query, variables } of scenarios) {
    const body = JSON.stringify({ query, variables });
    process.stderr.write(`load: ${name}: warm-up…\n`);
    await load(use('off'), bench.db.sql, token, body, WARMUP);
    await load(use('on'), bench.db.sql, token, body, WARMUP);
    const runs = { off: [] as Run[], on: [] as Run[] };
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const run = await load(use(v), bench.db.sql, token, body, SECONDS);
        runs[v].push(run);
        process.stderr.write(`load: ${name}: round ${round} ${v.padEnd(3)} ${rate(run).toFixed(0)} req/s, p99 ${run.p99} ms, ${run.cpuPerRequest.toFixed(0)} µs CPU/req${run.errors ? `, ${run.errors} errors` : ''}\n`);
      }
      const [o, n] = [runs.off.at(-1)!, runs.on.at(-1)!];
      ratios.push(rate(n) / rate(o));
      cpuRatios.push(o.cpuPerRequest / n.cpuPerRequest);
      perRound.push([name, round, rate(o).toFixed(0), rate(n).toFixed(0), (rate(n) / rate(o)).toFixed(3), o.p99, n.p99, o.cpuPerRequest.toFixed(0), n.cpuPerRequest.toFixed(0)]);
    }
    const total = (rs: Run[]) => ({
      requests: rs.reduce((s, r) => s + r.requests, 0),
      seconds: rs.reduce((s, r) => s + r.seconds, 0),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
      cpu: median(rs.map((r) => r.cpuPerRequest)),
    });
    const [o, n] = [total(runs.off), total(runs.on)];
    const ratio = median(ratios);
    if (ratio < TARGET_RATIO || o.errors || n.errors) failed = true;
    rows.push([
      name,
      rate(o).toFixed(0),
      rate(n).toFixed(0),
      ratio.toFixed(3),
      `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      o.p99,
      n.p99,
      o.cpu.toFixed(0),
      n.cpu.toFixed(0),
      median(cpuRatios).toFixed(3),
      o.errors + n.errors,
      ratio >= TARGET_RATIO ? 'ok' : 'MISSED',
    ]);
  }
  return { rows, rounds: perRound };
}

const started = Date.now();
const bench = await openBench({ customers: Number(values.customers) });
try {
  // one connection, so the backend doing the work is the one whose CPU is counted; one shape at
  // a time, each sealed and verified before the next is written (the chain grows across them)
  const sql = benchClient(bench.db.url, { max: 1 });
  const rows: (string | number)[][] = [];
  try {
    const customers = (await sql<{ id: string }[]>`select id from customers order by id limit 100`).map((r) => r.id);
    rows.push(...(await sealing(sql, 'customer(id:) read, 1 id', customers.slice(0, 1))));
    rows.push(...(await sealing(sql, 'customers(first: 100) read, 100 ids', customers)));
  } finally {
    await sql.end({ timeout: 5 });
  }
  console.log('\nSealing: records as the gateway writes them, sealed into the chain, verified (one database, this machine)');
  console.log(table(['records like', 'step', 'records', 'seconds', 'records/s', 'records/CPU-s', 'target', ''], rows));
  console.log('records/CPU-s: records per second of CPU used by this process and its PostgreSQL backend together (what one free core would do)');
  if (!values['skip-load']) {
    const { rows, rounds } = await reads(bench);
    console.log(`\nPer round (${SECONDS}s each, ${CONNECTIONS} connections, alternating order)`);
    console.log(table(['scenario', 'round', 'off req/s', 'on req/s', 'on/off', 'off p99 ms', 'on p99 ms', 'off CPU µs/req', 'on CPU µs/req'], rounds));
    console.log(`\nReads with the audit module off vs on (compliance, purpose ${PURPOSE}), ${ROUNDS} rounds; p99 = median of rounds`);
    console.log(table(['scenario', 'off req/s', 'on req/s', 'on/off median', 'range', 'off p99 ms', 'on p99 ms', 'off CPU µs/req', 'on CPU µs/req', 'CPU off/on', 'errors', `target ≥ ${TARGET_RATIO}`], rows));
    console.log('CPU µs/req: the gateway thread and the database backends together, per answered request (median of rounds); CPU off/on: the req/s ratio a CPU-bound machine would see');
  }
} finally {
  await bench.close();
}
console.log(`\n${failed ? 'FAIL: a target was missed' : 'OK: all targets met'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(failed ? 1 : 0);
