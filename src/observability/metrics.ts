import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct operation names kept as label values; later names count as "other". */
const MAX_OPERATIONS = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/**
 * The gateway's Prometheus metrics. Labels never carry personal data: operation names come from
 * the documents clients send (only GraphQL names, at most MAX_OPERATIONS distinct), error codes from
 * src/errors.ts, policies from the loaded files.
 */
export interface Metrics {
  readonly registry: Registry;
  /**
   * A GraphQL request was answered after `seconds`. `operation` is the executed operation's name,
   * "anonymous", or "unknown" for a request refused before an operation was chosen.
   */
  request(operation: string, seconds: number): void;
  /** A response carried an error with this `extensions.code`. */
  error(code: string): void;
  /**
   * One verdict of a decision: `policy` is "module@version" (e.g. "suitability@1"), `outcome` its
   * effect ("allow", "deny", "abstain"). Counted as `fingate_policy_decisions_total{policy, outcome}`;
   * the gateway reports them from each request's decision stream.
   */
  decision(policy: string, outcome: string): void;
  /** A SQL statement was sent on pool connection `connection` (see listenToStatements). */
  statement(connection: number): void;
  /** Pool connection `connection` closed. */
  connectionClosed(connection: number): void;
}

export interface MetricsOptions {
  /** The connection pool's size, exported as `fingate_db_connections_max`. */
  poolMax: number;
}

export function createMetrics({ poolMax }: MetricsOptions): Metrics {
  const registry = new Registry();
  // CPU, memory, garbage collection and event-loop lag: what a stalled request does to everyone
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'fingate_graphql_request_duration_seconds',
    help: 'GraphQL requests by operation name: latency, and with _count the number of requests',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({ name: 'fingate_graphql_errors_total', help: 'Errors in GraphQL responses by extensions.code', labelNames: ['code'], registers: [registry] });
  const decisions = new Counter({ name: 'fingate_policy_decisions_total', help: 'Policy decisions by module@version and outcome', labelNames: ['policy', 'outcome'], registers: [registry] });
  const statements = new Counter({ name: 'fingate_db_statements_total', help: 'SQL statements sent to PostgreSQL', registers: [registry] });
  // postgres.js opens a connection only when every open one is busy and closes it after 30 s idle:
  // open connections reaching the pool's size means the pool ran out within the last 30 s
  const open = new Set<number>();
  new Gauge({
    name: 'fingate_db_connections_open',
    help: 'Pool connections that sent a statement and have not closed since (at most fingate_db_connections_max)',
    registers: [registry],
    collect() {
      this.set(open.size);
    },
  });
  new Gauge({ name: 'fingate_db_connections_max', help: 'The connection pool size', registers: [registry] }).set(poolMax);

  const operations = new Set<string>();
  return {
    registry,
    request(operation, seconds) {
      let label = OPERATION_NAME.test(operation) ? operation : 'unknown';
      if (!operations.has(label)) {
        if (operations.size < MAX_OPERATIONS) operations.add(label);
        else label = 'other';
      }
      duration.observe({ operation: label }, seconds);
    },
    error: (code) => errors.inc({ code }),
    decision: (policy, outcome) => decisions.inc({ policy, outcome }),
    statement(connection) {
      statements.inc();
      open.add(connection);
    },
    connectionClosed: (connection) => void open.delete(connection),
  };
}
