import { GraphQLError } from 'graphql';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import { schema } from '../schema/index.ts';
import type { Authenticate } from './auth.ts';
import type { GatewayContext, PolicyData } from './context.ts';
import { createLoaders } from './data/loaders.ts';
import type { Sql } from './db/database.ts';
import { migrationsApplied } from './db/migrate.ts';
import { isClientError } from './errors.ts';
import { ownDataPolicy } from './policy/own-data.ts';

/** What the gateway is made of; `createGateway` is the one composition root. */
export interface GatewayOptions {
  sql: Sql;
  authenticate: Authenticate;
  /** Serve GraphiQL at /graphql for browsers (off in production). */
  graphiql?: { headers?: string } | false;
  /** Where unexpected errors go; their details never reach clients. @default console.error */
  logError?: (error: unknown) => void;
  /** Compliance data in force (AML thresholds, the risk questionnaire). */
  policyData: PolicyData;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

export function createGateway({ sql, authenticate, graphiql = false, logError = console.error, policyData }: GatewayOptions): Gateway {
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
      return {
        sql,
        principal,
        purpose: request.headers.get('x-access-purpose'),
        now: new Date(),
        loaders: createLoaders(),
        policy: ownDataPolicy(principal),
        policyData,
      };
    },
    maskedErrors: {
      maskError(error, message) {
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        if (isClientError(original) && error instanceof GraphQLError) return withInputField(error);
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
      useReadinessCheck({
        endpoint: '/readyz',
        check: async () => migrationsApplied(sql),
      }),
    ],
  });
}

/**
 * Names the offending input field of a variable that failed coercion (graphql-js reports it only in
 * the message: `Variable "$input" got invalid value "1e309" at "input.amount"; …`).
 */
function withInputField(error: GraphQLError): GraphQLError {
  if (error.extensions.field) return error;
  const at = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/s.exec(error.message);
  const field = at ? at[2] : /^Variable "\$(\w+)" got invalid value/.exec(error.message)?.[1];
  return field ? new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, field } }) : error;
}
