import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { createLogger, logErrorsTo } from '../../src/observability/log.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { serveMetrics, type MetricsServer } from '../../src/observability/metrics-server.ts';
import { startTracing, type Tracing } from '../../src/observability/tracing.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { seededServerDatabase, startGatewayProcess, type GatewayProcess } from '../support/server-process.ts';

/** The value of one sample in Prometheus' text format, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics and logs', () => {
  let gw: TestGateway;
  let metrics: Metrics;
  let endpoint: MetricsServer;
  const lines: Record<string, any>[] = [];
  let staff: string;

  beforeAll(async () => {
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    metrics = createMetrics({ poolMax: 20 });
    gw = await startGateway({ customers: 10, metrics, logger, logError: logErrorsTo(logger) });
    endpoint = await serveMetrics(metrics, { port: 0, host: '127.0.0.1' });
    staff = await gw.token({ roles: ['compliance'] });
  });
  afterAll(async () => {
    await endpoint?.close();
    await gw?.close();
  });

  const scrape = async () => (await fetch(endpoint.url)).text();

  it('answers /metrics with requests per operation, errors per code, SQL statements and pool use', async () => {
    const before = await scrape();
    const statementsBefore = sample(before, 'fingate_db_statements_total') ?? 0;
    const customer = await gw.customerToken('1');
    expect((await gw.request('query Me { me { id } }', { token: customer })).errors).toBeUndefined();
    expect((await gw.request('query Me { me { id } }', { token: customer })).errors).toBeUndefined();
    expect((await gw.request('query Me { me { id } }')).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

    const text = await scrape();
    expect(sample(text, 'fingate_graphql_request_duration_seconds_count{operation="Me"}')).toBe(3);
    expect(sample(text, 'fingate_graphql_errors_total{code="UNAUTHENTICATED"}')).toBe(1);
    expect(sample(text, 'fingate_db_statements_total')).toBeGreaterThan(statementsBefore);
    expect(sample(text, 'fingate_db_connections_open')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'fingate_db_connections_max')).toBe(20);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts policy decisions per module@version and outcome through metrics.decision', async () => {
    metrics.decision('suitability@1', 'deny');
    metrics.decision('suitability@1', 'deny');
    metrics.decision('access@1', 'allow');
    const text = await scrape();
    expect(sample(text, 'fingate_policy_decisions_total{policy="suitability@1",outcome="deny"}')).toBe(2);
    expect(sample(text, 'fingate_policy_decisions_total{policy="access@1",outcome="allow"}')).toBe(1);
  });

  it('holds no personal data: names, identity numbers and tokens read through the API never appear in it', async () => {
    const read = await gw.request('query People { customers(first: 10) { edges { node { name idNumber phone email } } } }', { token: staff, purpose: 'risk-control' });
    const values = read.data.customers.edges.flatMap((e: any) => Object.values(e.node)).filter((v: unknown): v is string => typeof v === 'string' && v.length > 3);
    expect(values.length).toBeGreaterThan(0);
    const text = await scrape();
    for (const value of [...values, staff]) expect(text).not.toContain(value);
  });

  it('turns browsers away: a request with Origin or Sec-Fetch-Site gets 403 and no CORS header', async () => {
    const browsers: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }];
    for (const headers of browsers) {
      const response = await fetch(endpoint.url, { headers });
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await fetch(endpoint.url)).status).toBe(200);
  });

  it('returns a sane incoming x-request-id and logs the request under it', async () => {
    const response = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-4bf92f3577b34da6', authorization: `Bearer ${staff}` },
      body: JSON.stringify({ query: 'query Products { products(first: 1) { edges { node { id } } } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-4bf92f3577b34da6');
    const line = lines.find((l) => l.requestId === 'trace-4bf92f3577b34da6');
    expect(line).toMatchObject({ level: 30, msg: 'request', operation: 'Products', status: 200, service: 'fingate' });
    expect(typeof line?.ms).toBe('number');
  });

  it('replaces a missing or unsafe request id with a new UUID, in the header and the log', async () => {
    for (const incoming of [undefined, 'a b', 'x'.repeat(129), 'id"}{"admin":true']) {
      const response = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(incoming === undefined ? {} : { 'x-request-id': incoming }) },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(lines.find((l) => l.requestId === id)).toMatchObject({ status: 401, errors: ['UNAUTHENTICATED'] });
    }
  });

  it('logs an unexpected error with its request id and without the statement’s parameters, and shows the client only INTERNAL_SERVER_ERROR', async () => {
    await gw.db.sql`alter table customers rename to customers_away`;
    try {
      const response = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'broken-1', authorization: `Bearer ${staff}` },
        body: JSON.stringify({ query: '{ customers(first: 1) { edges { node { id } } } }' }),
      });
      const body = await response.json();
      expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    } finally {
      await gw.db.sql`alter table customers_away rename to customers`;
    }
    const logged = lines.find((l) => l.requestId === 'broken-1' && l.msg === 'unexpected error');
    expect(logged).toMatchObject({ level: 50, err: { code: '42P01' } });
    expect(Object.keys(logged!.err).sort()).toEqual(['code', 'message', 'routine', 'severity', 'stack', 'type']);
  });
});

describe('tracing', () => {
  let gw: TestGateway;
  let tracing: Tracing;
  let collector: Server;
  const exported: any[] = [];

  beforeAll(async () => {
    // an OTLP/HTTP collector on loopback, keeping what it receives
    collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        exported.push(JSON.parse(body));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as { port: number };
    tracing = await startTracing({ url: `http://127.0.0.1:${port}/v1/traces`, serviceName: 'fingate-test' });
    gw = await startGateway({ customers: 5, tracing });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it('exports a server span per request, in the caller’s trace, named after the operation, with its phases as children', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await gw.request('query Me { me { id } }', {
      token: await gw.customerToken('1'),
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'traced-1' },
    });
    expect(response.errors).toBeUndefined();
    await tracing.close();

    const spans = exported.flatMap((e) => e.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));
    const server = spans.find((s) => s.name === 'query Me');
    expect(server).toMatchObject({ traceId, parentSpanId: '00f067aa0ba902b7', kind: 2 });
    const attributes = Object.fromEntries(server.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
    expect(attributes).toMatchObject({ 'graphql.operation.name': 'Me', 'graphql.operation.type': 'query', 'fingate.request_id': 'traced-1', 'http.response.status_code': 200 });
    const children = spans.filter((s) => s.parentSpanId === server.spanId).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.context', 'graphql.execute']));
    const service = exported[0].resourceSpans[0].resource.attributes.find((a: any) => a.key === 'service.name');
    expect(service.value.stringValue).toBe('fingate-test');
  });
});

/* `fingate start` wires them together; a separate process needs a PostgreSQL server (DATABASE_URL). */
describe.skipIf(!realServer)('fingate start with FINGATE_METRICS_PORT (needs DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof seededServerDatabase>>;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    database = await seededServerDatabase({ customers: 5 });
    gateway = await startGatewayProcess(database.url, { env: { FINGATE_METRICS_PORT: '0' } });
  }, 120_000);
  afterAll(async () => {
    await gateway?.kill('SIGTERM');
    await database?.drop();
  });

  it('serves /metrics on its own port and writes one JSON line per request to stdout, with the request id it returns', async () => {
    const metricsUrl = /metrics at (http:\/\/\S+\/metrics)/.exec(gateway.output())?.[1];
    expect(metricsUrl).toBeDefined();
    expect(new URL(metricsUrl!).port).not.toBe(new URL(gateway.url).port);
    const token = await mintToken(DEV_JWT_SECRET, { sub: 'officer', roles: ['compliance'] });
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'process-1' },
      body: JSON.stringify({ query: 'query Products { products(first: 2) { edges { node { id } } } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('process-1');
    const text = await (await fetch(metricsUrl!)).text();
    expect(sample(text, 'fingate_graphql_request_duration_seconds_count{operation="Products"}')).toBe(1);
    expect(sample(text, 'fingate_db_connections_max')).toBe(10);
    const logged = () =>
      gateway
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((l) => l.requestId === 'process-1');
    // the child's stdout reaches this process on its own schedule
    for (const end = Date.now() + 5000; !logged() && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged()).toMatchObject({ msg: 'request', operation: 'Products', status: 200 });
  });
});
