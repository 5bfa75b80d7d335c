import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestId } from './request-id.ts';

/** A running trace exporter and what the gateway needs of it. */
export interface Tracing {
  tracer: Tracer;
  /** The caller's trace context from `traceparent`/`tracestate`, if any. */
  extract(headers: Headers): Context;
  /** Exports what is buffered, then stops. */
  close(): Promise<void>;
}

export interface TracingOptions {
  /** The OTLP/HTTP traces URL; unset, the exporter reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url?: string;
  /** @default OTEL_SERVICE_NAME, else "fingate" */
  serviceName?: string;
}

/**
 * Starts exporting spans over OTLP/HTTP (JSON), batched. The SDK is imported here, on demand: a
 * gateway with tracing off never loads it, so nothing of it runs or connects anywhere. Nothing is
 * registered globally (no global provider, propagator or context manager): spans are parented
 * explicitly, so two gateways in one process (tests) keep apart.
 */
export async function startTracing({ url, serviceName = process.env.OTEL_SERVICE_NAME || 'fingate' }: TracingOptions = {}): Promise<Tracing> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {}))],
  });
  const propagator = new W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer('fingate'),
    extract: (headers) =>
      propagator.extract(ROOT_CONTEXT, headers, { get: (carrier, key) => carrier.get(key) ?? undefined, keys: (carrier) => [...carrier.keys()] }),
    close: () => provider.shutdown(),
  };
}

/**
 * One server span per HTTP request (a child of the caller's trace when it sent `traceparent`), named
 * after the operation, with child spans for parsing, validation, building the context (the token)
 * and execution. Attributes name the operation, its type, the request id and the HTTP status;
 * never the document, variables or results, which may hold personal data. No span per field: the
 * per-field path stays free of work.
 */
export function useTracing({ tracer, extract }: Tracing): Plugin {
  const spans = new WeakMap<Request, Span>();
  const phase =
    (name: string) =>
    <T>({ context }: { context: { request?: Request } }, wrapped: () => T): T => {
      const parent = context.request && spans.get(context.request);
      if (!parent) return wrapped();
      const span = tracer.startSpan(name, {}, trace.setSpan(ROOT_CONTEXT, parent));
      const end = (error?: unknown) => {
        if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
        span.end();
      };
      try {
        const result = wrapped();
        if (result instanceof Promise) return result.then((value) => (end(), value), (error: unknown) => (end(error), Promise.reject(error))) as T;
        end();
        return result;
      } catch (error) {
        end(error);
        throw error;
      }
    };
  return {
    instrumentation: {
      parse: phase('graphql.parse'),
      validate: phase('graphql.validate'),
      context: phase('graphql.context'),
      execute: phase('graphql.execute'),
    },
    onRequest({ request, url }) {
      const span = tracer.startSpan(
        `${request.method} ${url.pathname}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': url.pathname, 'fingate.request_id': requestId(request) } },
        extract(request.headers),
      );
      spans.set(request, span);
    },
    onValidate({ params, context }) {
      const { request, params: graphqlParams } = context as { request: Request; params?: { operationName?: string } };
      const span = spans.get(request);
      const operation = getOperationAST(params.documentAST, graphqlParams?.operationName);
      if (!span || !operation) return;
      const name = operation.name?.value ?? 'anonymous';
      span.updateName(`${operation.operation} ${name}`);
      span.setAttributes({ 'graphql.operation.name': name, 'graphql.operation.type': operation.operation });
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
