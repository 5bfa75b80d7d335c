import type { KeyObject } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { schema } from '../schema/index.ts';
import './audit/context.ts';
import { createAuditLog } from './audit/log.ts';
import type { Authenticate } from './auth.ts';
import { useCompiledExecution } from './compiled-execution.ts';
import type { GatewayContext } from './context.ts';
import { factProviders } from './data/facts.ts';
import { createLoaders } from './data/loaders.ts';
import type { Sql } from './db/database.ts';
import { migrationsApplied } from './db/migrate.ts';
import { isClientError, statusOf } from './errors.ts';
import { renderOfflineGraphiQL, useGraphiQLAssets } from './http/graphiql.ts';
import { MAX_REQUEST_BODY } from './http/node-handler.ts';
import { useTransport, type TransportOptions } from './http/transport.ts';
import { DEFAULT_LIMITS, useQueryLimits, type Limits } from './limits.ts';
import type { CoolingOffData } from './money/cooling-off.ts';
import type { Questionnaire } from './money/risk-assessment.ts';
import type { Logger } from './observability/log.ts';
import type { Metrics } from './observability/metrics.ts';
import { requestId } from './observability/request-id.ts';
import { useRequestTelemetry } from './observability/requests.ts';
import { listenToStatements } from './observability/statements.ts';
import { useTracing, type Tracing } from './observability/tracing.ts';
import { useDecisionStream } from './policy/decision-stream.ts';
import { catalogueOf } from './policy/gate.ts';
import { createRequestPolicy, PURPOSE_HEADER } from './policy/request-policy.ts';
import type { PolicyRuntime } from './policy/runtime.ts';
import type { Observer } from './policy/types.ts';

/** What the gateway is made of; `createGateway` is the one composition root. */
export interface GatewayOptions {
  sql: Sql;
  authenticate: Authenticate;
  /** The policy versions in force, kept current across instances. */
  policies: PolicyRuntime;
  /** Observers of every request's decisions besides the modules' own (e.g. the shadow log). */
  observers?: readonly Observer[];
  /** The business day's time zone. @default "Asia/Shanghai" */
  timeZone?: string;
  /** Serve GraphiQL at /graphql for browsers (off in production). */
  graphiql?: { headers?: string } | false;
  /** Where unexpected errors go, with the id of the request they broke; their details never reach clients. @default console.error */
  logError?: (error: unknown, requestId: string) => void;
  /** Batch relation loads (DataLoader); off only to measure what batching saves. @default true */
  batchLoads?: boolean;
  /** Introspection, CORS and persisted operations. @default introspection on, no CORS origin, no persisted operations */
  transport?: TransportOptions;
  /** The cost and time budgets of one request. @default DEFAULT_LIMITS */
  limits?: Limits;
  /** Count requests, latencies, error codes, SQL statements and pool use (served by serveMetrics). */
  metrics?: Metrics;
  /** Write one JSON line per GraphQL request. */
  logger?: Logger;
  /** Export a span per request. */
  tracing?: Tracing;
  /** The key stored audit checkpoints are signed with (the sealer's public key), for `auditChain`. */
  auditKey?: KeyObject | undefined;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

/** What the schema declares for policies (actions and the resources they cover, personal fields). */
export const catalogue = catalogueOf(schema);

export function createGateway({
  sql,
  authenticate,
  policies,
  observers = [],
  timeZone = 'Asia/Shanghai',
  graphiql = false,
  logError = console.error,
  batchLoads = true,
  transport = { introspection: 'on', corsOrigins: [] },
  limits = DEFAULT_LIMITS,
  metrics,
  logger,
  tracing,
  auditKey,
}: GatewayOptions): Gateway {
  if (metrics) listenToStatements(sql, { statement: metrics.statement, closed: metrics.connectionClosed });
  // the audit module's records go here: a write's in its transaction, the rest by group commit
  const audit = createAuditLog(sql);
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    graphiql: graphiql ? { title: 'fingate', ...graphiql } : false,
    renderGraphiQL: renderOfflineGraphiQL,
    cors: false,
    maxRequestBodySize: MAX_REQUEST_BODY,
    logging: false,
    context: async ({ request }): Promise<GatewayContext> => {
      const principal = await authenticate(request);
      const now = new Date();
      const purpose = request.headers.get(PURPOSE_HEADER);
      // one version set per request: every decision of this request is made under it
      const versions = audit.bind(policies.at(now));
      const policy = createRequestPolicy({ versions, principal, purpose, now, requestId: requestId(request), facts: factProviders, actions: catalogue.actions, timeZone });
      policy.checkPurpose();
      return {
        sql,
        principal,
        purpose,
        now,
        timeZone,
        loaders: createLoaders({ batch: batchLoads }),
        policies,
        audit: { publicKey: auditKey },
        policy,
        policyData: {
          get coolingOff() {
            return versions.data<CoolingOffData>('cooling-off');
          },
          get riskQuestionnaire() {
            return versions.data<Questionnaire>('risk-questionnaire');
          },
        },
      };
    },
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        if (isClientError(original) && error instanceof GraphQLError) return withInputField(error);
        // graphql-js's own coercion errors of variables (invalid, null or not provided) carry no code
        if (error instanceof GraphQLError && /^Variable "\$\w+" /.test(error.message)) {
          return withInputField(new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
        }
        // parse and validation errors carry no original error
        if (isClientError(original) || (error instanceof GraphQLError && !error.originalError)) return error as Error;
        // kept as originalError (never serialized) for useRequestTelemetry to log with the request's id
        return new GraphQLError(message, {
          ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
          originalError: original instanceof Error ? original : new Error(String(original)),
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    plugins: [
      useRequestTelemetry({ logError, metrics, logger }),
      ...(tracing ? [useTracing(tracing)] : []),
      ...useTransport(transport),
      ...(graphiql ? [useGraphiQLAssets()] : []),
      ...useQueryLimits(limits),
      useCompiledExecution(),
      useDecisionStream({ observers: metrics ? [...observers, countDecisions(metrics)] : observers, logError }),
      useRegistryStatus(),
      useReadiness(async () => (await migrationsApplied(sql)) && policies.at(new Date()).missing.length === 0),
    ],
  });
}

/** Counts every verdict of every decision by `module@version` and effect (off the request path: an observer). */
function countDecisions(metrics: Metrics): Observer {
  return {
    request(stream) {
      for (const decision of stream.decisions) for (const verdict of decision.verdicts) metrics.decision(verdict.policy, verdict.effect);
    },
  };
}

/**
 * Answers /readyz: 200 once the migrations are applied and every module has an enforced version,
 * else 503 (with the reason as text when the check fails). Yoga's useReadinessCheck answers the
 * same, but parses every request's URL and runs a URLPattern over it to find out.
 */
function useReadiness(check: () => Promise<boolean>): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (!request.url.endsWith(READINESS_ENDPOINT) && pathOf(request.url) !== READINESS_ENDPOINT) return undefined;
      return check().then(
        (ready) => endResponse(new fetchAPI.Response(null, { status: ready ? 200 : 503 })),
        (error: unknown) =>
          endResponse(
            error instanceof Error
              ? new fetchAPI.Response(error.message, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } })
              : new fetchAPI.Response(null, { status: 503 }),
          ),
      );
    },
  };
}

const READINESS_ENDPOINT = '/readyz';

/** The path of an absolute URL, without its query. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const query = url.indexOf('?', start);
  return url.slice(start, query < 0 ? undefined : query);
}

/** Answers a request refused before execution with its error code's HTTP status (src/errors.ts). */
function useRegistryStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result || 'data' in result || !result.errors?.length) return;
      const status = statusOf(result.errors as GraphQLError[]);
      if (status !== undefined) setResult({ ...result, extensions: { ...result.extensions, http: { ...(result.extensions?.http as object), status } } });
    },
  };
}

/**
 * Names the offending input field of a variable that failed coercion (graphql-js reports it only in
 * the message: `Variable "$input" got invalid value "1e309" at "input.amount"; …`).
 */
function withInputField(error: GraphQLError): GraphQLError {
  if (error.extensions.field) return error;
  const at = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/s.exec(error.message);
  const variable = /^Variable "\$(\w+)" /.exec(error.message)?.[1];
  const missing = /; Field "(\w+)" of required type "[^"]+" was not provided/.exec(error.message)?.[1];
  const path = at?.[2] ?? variable;
  const field = path && missing ? `${path}.${missing}` : path;
  return field ? new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, field } }) : error;
}
