import { createServer } from 'node:http';
import { StartupError } from '../errors.ts';
import type { Metrics } from './metrics.ts';

/** The listening metrics endpoint. */
export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in Prometheus' text format on a listener of its own, apart from the API:
 * the API's port faces clients (often the internet), this one only the scraper (bind it to a
 * private interface). Browsers are turned away with 403: any request carrying `Origin` or
 * `Sec-Fetch-Site` comes from a page, never from Prometheus, so a page elsewhere cannot read the
 * numbers even through DNS rebinding; no CORS headers are ever sent.
 */
export async function serveMetrics(metrics: Metrics, { port, host }: { port: number; host: string }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined) {
      response.writeHead(403).end();
    } else if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
    } else {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
        () => response.writeHead(500).end(),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new StartupError(error.code === 'EADDRINUSE' ? `metrics port ${port} on ${host} is already in use (set FINGATE_METRICS_PORT)` : `cannot serve metrics on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${host}:${typeof address === 'object' && address ? address.port : port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
