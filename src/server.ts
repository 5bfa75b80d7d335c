import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { StartupError } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { nodeHandler } from './http/node-handler.ts';

/** A listening HTTP server and how to stop it gracefully. */
export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting connections and resolves when in-flight requests have finished; idempotent. */
  close(graceMs?: number): Promise<void>;
}

/** A server holding its port that does not serve the gateway yet. */
export interface BoundServer extends RunningServer {
  /** Hands every later request to the gateway. */
  serve(gateway: Gateway): void;
}

/** Serves the gateway over HTTP; a port in use is a one-line StartupError. */
export async function listen(gateway: Gateway, address: { port: number; host: string }): Promise<RunningServer> {
  const server = await bind(address);
  server.serve(gateway);
  return server;
}

/**
 * Takes the port before the slow part of a start (migrations, seeding, policies), so a port in use
 * is reported before anything was done; until `serve`, requests get 503 with Retry-After.
 */
export async function bind({ port, host }: { port: number; host: string }): Promise<BoundServer> {
  const server = createServer(starting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new StartupError(`port ${port} on ${host} is already in use (set PORT)`) : new StartupError(`cannot listen on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${actualPort}/graphql`,
    serve(gateway) {
      server.off('request', starting);
      server.on('request', nodeHandler(gateway));
    },
    close: (graceMs = 10_000) =>
      (closing ??= new Promise<void>((resolve) => {
        // in-flight requests finish; keep-alive sockets are closed as soon as they go idle
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const timer = setTimeout(() => server.closeAllConnections(), graceMs).unref();
        server.close(() => {
          clearInterval(idle);
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}

/** The answer to every request that arrives before the gateway serves: not ready yet, ask again. */
function starting(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
  response.end('{"status":"starting"}');
}
