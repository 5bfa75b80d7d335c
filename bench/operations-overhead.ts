// What the Operations features cost per request (issue 12): one in-process gateway configured with
// metrics and request logs
// (prom-client counters and histogram, the statement hook, one pino JSON line per request written to
// /dev/null), switched off and on between runs (the logger's level to "silent", the metrics calls
// skipped), load-tested with autocannon over loopback in a worker thread. Request ids are always on,
// in both. One gateway rather than two, because two identical gateways in one process do not measure
// alike (see bench/policy-overhead.ts). The query is the cheapest there is, `{ me { id } }`, so the
// fixed cost per request shows most.
//
// Then the parts alone, timed in a loop (steadier than any load test on a shared machine): what
// metrics and logs add (one request line to /dev/null, one latency observation, one statement
// count), and what every request pays whatever is configured (its id, its cost estimate, the
// deadline's timer).
// Target: on/off req/s or CPU per request ≥ 0.95 (medians of the per-round ratios), and each group
// of parts ≤ 5 % of the CPU time of one `{ me { id } }` request (off). Exits 1 when missed or a
// request failed. graphql-js checks types more slowly unless NODE_ENV=production: run it with that
// to see the cost estimate as it is in production.
//
//   npx tsx bench/operations-overhead.ts [--seconds 2] [--rounds 6] [--connections 10]

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { parse } from 'graphql';
import { pino } from 'pino';
import { schema } from '../schema/index.ts';
import { estimateCost } from '../src/cost.ts';
import { createClient } from '../src/db/database.ts';
import { createGateway } from '../src/gateway.ts';
import { createLogger } from '../src/observability/log.ts';
import { createMetrics, type Metrics } from '../src/observability/metrics.ts';
import { listen } from '../src/server.ts';
import { postGraphQL } from '../test/support/http.ts';
import { expectData, openBench, SERVER_URL, table } from './support.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '10' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const TARGET = 0.95;

// CPU time of the main thread (the gateway's), Linux /proc: steadier than req/s on a shared machine
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** The best of 5 timings of 100,000 calls, µs per call: other work on the machine only adds time. */
function microseconds(fn: () => unknown): number {
  let best = Infinity;
  for (let sample = 0; sample < 5; sample++) {
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) fn();
    best = Math.min(best, (performance.now() - start) / 100);
  }
  return best;
}

const bench = await openBench({ customers: 50 });
let failed = false;
try {
  let on = true;
  const real = createMetrics({ poolMax: 10 });
  const metrics: Metrics = {
    registry: real.registry,
    request: (operation, seconds) => on && real.request(operation, seconds),
    error: (code) => on && real.error(code),
    decision: (policy, outcome) => on && real.decision(policy, outcome),
    statement: (connection) => on && real.statement(connection),
    connectionClosed: (connection) => on && real.connectionClosed(connection),
  };
  const logger = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const url = new URL(SERVER_URL);
  url.pathname = `/${bench.databaseName}`;
  const sql = createClient(url.toString(), { max: 10, applicationName: 'fingate-bench' });
  const server = await listen(createGateway({ sql, authenticate: bench.authenticate, policies: bench.policies, metrics, logger, logError: () => {} }), { port: 0, host: '127.0.0.1' });
  const token = await bench.customerToken('1');
  const body = JSON.stringify({ query: 'query Me { me { id } }' });
  expectData(await postGraphQL(server.url, 'query Me { me { id } }', { token }), 'warm-up');

  const run = async (seconds: number) => {
    const cpu = mainThreadCpuUs();
    const result = await autocannon({ url: server.url, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, connections: Number(values.connections), duration: seconds, workers: 1 });
    await sleep(200);
    if (result.errors || result.timeouts || result.non2xx) failed = true;
    return { rate: result['2xx'] / result.duration, p99: result.latency.p99, cpu: (mainThreadCpuUs() - cpu) / Math.max(1, result['2xx']) };
  };
  const use = (variant: boolean) => {
    on = variant;
    logger.level = variant ? 'info' : 'silent';
  };

  for (const variant of [false, true, false, true]) {
    use(variant);
    await run(1.5);
  }
  const rows: (string | number)[][] = [];
  const rateRatios: number[] = [];
  const cpuRatios: number[] = [];
  const offCpu: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? [false, true] : [true, false];
    const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
    for (const variant of order) {
      use(variant);
      results[variant ? 'on' : 'off'] = await run(SECONDS);
    }
    offCpu.push(results.off!.cpu);
    const { off, on: with_ } = results as { off: Awaited<ReturnType<typeof run>>; on: Awaited<ReturnType<typeof run>> };
    rateRatios.push(with_.rate / off.rate);
    cpuRatios.push(off.cpu / with_.cpu);
    rows.push([round, off.rate.toFixed(0), with_.rate.toFixed(0), (with_.rate / off.rate).toFixed(3), off.p99, with_.p99, off.cpu.toFixed(0), with_.cpu.toFixed(0)]);
  }
  const lines = (await real.registry.getSingleMetricAsString('fingate_graphql_request_duration_seconds')).match(/_count\{operation="Me"\} (\d+)/)?.[1];
  console.log(`\n{ me { id } } as a customer, ${values.connections} connections, ${SECONDS} s per run, alternating; on = metrics + one JSON log line per request (${lines} requests counted)`);
  console.log(table(['round', 'off req/s', 'on req/s', 'on/off', 'off p99 ms', 'on p99 ms', 'off CPU µs/req', 'on CPU µs/req'], rows));
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
  };
  console.log(`median on/off req/s ${median(rateRatios).toFixed(3)}, CPU off/on ${median(cpuRatios).toFixed(3)} (target ≥ ${TARGET})`);
  if (median(rateRatios) < TARGET && median(cpuRatios) < TARGET) failed = true;

  const line = { requestId: '8b2e09a8-f84b-4c6c-ab7f-475ff2fe43b3', operation: 'Me', status: 200, ms: 2.3 };
  const customer = parse('query Customer($id: ID!) { customer(id: $id) { id name email phone idNumber birthDate investorType riskProfile { tolerance assessedAt expiresAt } } }');
  const groups: [string, [string, () => unknown][]][] = [
    [
      'metrics and logs (when configured)',
      [
        ['request log line (pino, to /dev/null)', () => logger.info(line, 'request')],
        ['latency observation (histogram)', () => real.request('Me', 0.002)],
        ['statement count', () => real.statement(1)],
      ],
    ],
    [
      'every request',
      [
        ['request id (randomUUID)', () => randomUUID()],
        ['cost estimate of customer(id:) with 10 fields', () => estimateCost(customer, { id: 'x' }, schema)],
        ['deadline timer (set and clear)', () => clearTimeout(setTimeout(() => {}, 10_000))],
      ],
    ],
  ];
  use(true);
  const micro: (string | number)[][] = [];
  for (const [group, parts] of groups) {
    let sum = 0;
    for (const [name, fn] of parts) {
      const us = microseconds(fn);
      sum += us;
      micro.push([group, name, us.toFixed(2)]);
    }
    micro.push([group, 'together', `${sum.toFixed(2)} (${((100 * sum) / median(offCpu)).toFixed(1)} % of a request)`]);
    if (sum > 0.05 * median(offCpu)) failed = true;
  }
  console.log(`\nthe parts alone (best of 5 × 100,000 calls; NODE_ENV=${process.env.NODE_ENV ?? ''})`);
  console.log(table(['', 'part', 'µs per call'], micro));
  await server.close(1000);
  await sql.end({ timeout: 5 });
} finally {
  await bench.close();
}
if (failed) {
  console.log('FAIL: metrics and logs cost more than the target, or a request failed');
  process.exit(1);
}
