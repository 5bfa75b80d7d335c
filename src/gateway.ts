import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createYoga, useReadinessCheck, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { schema } from '../schema/index.ts';
import type { Authenticate } from './auth.ts';
import type { GatewayContext } from './context.ts';
import { factProviders } from './data/facts.ts';
import { createLoaders } from './data/loaders.ts';
import type { Sql } from './db/database.ts';
import { migrationsApplied } from './db/migrate.ts';
import { isClientError, statusOf } from './errors.ts';
import { useQueryLimits } from './limits.ts';
import type { CoolingOffData } from './money/cooling-off.ts';
import type { Questionnaire } from './money/risk-assessment.ts';
import { useDecisionStream } from './policy/decision-stream.ts';
import { catalogueOf } from './policy/gate.ts';
import { createRequestPolicy } from './policy/request-policy.ts';
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
  /** Where unexpected errors go; their details never reach clients. @default console.error */
  logError?: (error: unknown) => void;
  /** Batch relation loads (DataLoader); off only to measure what batching saves. @default true */
  batchLoads?: boolean;
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
}: GatewayOptions): Gateway {
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    graphiql: graphiql ? { title: 'fingate', ...graphiql } : false,
    maxRequestBodySize: 100_000,
    logging: false,
    context: async ({ request }): Promise<GatewayContext> => {
      const principal = await authenticate(request);
      const now = new Date();
      const purpose = request.headers.get('x-access-purpose');
      // one version set per request: every decision of this request is made under it
      const versions = policies.at(now);
      const requestId = request.headers.get('x-request-id') ?? randomUUID();
      return {
        sql,
        principal,
        purpose,
        now,
        timeZone,
        loaders: createLoaders({ batch: batchLoads }),
        policies,
        policy: createRequestPolicy({ versions, principal, purpose, now, requestId, facts: factProviders, actions: catalogue.actions, timeZone }),
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
        // graphql-js's own coercion errors of variables (null or missing required fields) carry no code
        if (error instanceof GraphQLError && /^Variable "\$\w+" got invalid value/.test(error.message)) {
          return withInputField(new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
        }
        // parse and validation errors carry no original error
        if (isClientError(original) || (error instanceof GraphQLError && !error.originalError)) return error as Error;
        logError(original);
        return new GraphQLError(message, {
          ...(error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {}),
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    plugins: [
      ...useQueryLimits(),
      useDecisionStream({ observers, logError }),
      useRegistryStatus(),
      useReadinessCheck({
        endpoint: '/readyz',
        check: async () => (await migrationsApplied(sql)) && policies.at(new Date()).missing.length === 0,
      }),
    ],
  });
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
  const variable = /^Variable "\$(\w+)" got invalid value/.exec(error.message)?.[1];
  const missing = /; Field "(\w+)" of required type "[^"]+" was not provided/.exec(error.message)?.[1];
  const path = at?.[2] ?? variable;
  const field = path && missing ? `${path}.${missing}` : path;
  return field ? new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, field } }) : error;
}
