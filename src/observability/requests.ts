import { getOperationAST, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { REQUEST_ID_HEADER, requestId } from './request-id.ts';

/** What the gateway tells about each request. */
export interface RequestTelemetryOptions {
  /**
   * Where an unexpected error goes, with the id of the request it broke. Clients only see
   * `INTERNAL_SERVER_ERROR`; the error masking keeps the original as the masked error's
   * `originalError`, and this plugin hands it over once the request's result is known.
   */
  logError(error: unknown, requestId: string): void;
  /** Count requests, latencies and error codes. */
  metrics?: Metrics | undefined;
  /** Write one `request` line per GraphQL request: id, operation, HTTP status, milliseconds, error codes. */
  logger?: Logger | undefined;
}

interface RequestRecord {
  id: string;
  start: number;
  /** False for /healthz, /readyz and other routes: they get an id but are not GraphQL requests. */
  graphql: boolean;
  operation: string;
  codes: string[];
}

/**
 * Gives every request an id (the caller's `x-request-id` when sane, else a new one), returns it in
 * the `x-request-id` response header, logs unexpected errors with it, and, when configured, counts
 * and logs each GraphQL request. No personal data: neither the document, nor variables, nor the
 * principal are recorded.
 */
export function useRequestTelemetry({ logError, metrics, logger }: RequestTelemetryOptions): Plugin {
  const records = new WeakMap<Request, RequestRecord>();
  return {
    onRequest({ request }) {
      records.set(request, { id: requestId(request), start: performance.now(), graphql: false, operation: 'unknown', codes: [] });
    },
    onParams({ request, params }) {
      const record = records.get(request);
      if (!record) return;
      record.graphql = true;
      if (params.operationName) record.operation = params.operationName;
    },
    // the first hook that sees the document (parsed or from the cache), before the token is checked
    onValidate({ params, context }) {
      const { request, params: graphqlParams } = context as { request: Request; params?: { operationName?: string } };
      const record = records.get(request);
      if (record) record.operation = getOperationAST(params.documentAST, graphqlParams?.operationName)?.name?.value ?? 'anonymous';
    },
    onResultProcess({ request, result }) {
      const record = records.get(request);
      for (const one of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in one) continue;
        for (const error of (one.errors ?? []) as readonly GraphQLError[]) {
          const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'NONE';
          record?.codes.push(code);
          if (code === 'INTERNAL_SERVER_ERROR') logError(error.originalError ?? error, record?.id ?? 'none');
        }
      }
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (!record) return;
      response.headers.set(REQUEST_ID_HEADER, record.id);
      if (!record.graphql) return;
      const ms = performance.now() - record.start;
      if (metrics) {
        metrics.request(record.operation, ms / 1000);
        for (const code of record.codes) metrics.error(code);
      }
      logger?.info(
        { requestId: record.id, operation: record.operation, status: response.status, ms: Math.round(ms * 10) / 10, ...(record.codes.length ? { errors: record.codes } : {}) },
        'request',
      );
    },
  };
}
