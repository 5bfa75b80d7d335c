import { createServer, type Server } from 'node:http';
import { StartupError } from './errors.ts';
import type { Gateway } from './gateway.ts';

/** A listening HTTP server and how to stop it gracefully. */
export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  close(graceMs?: number): Promise<void>;
}

/** Serves the gateway over HTTP; a port in use is a one-line StartupError. */
export async function listen(gateway: Gateway, { port, host }: { port: number; host: string }): Promise<RunningServer> {
  const server = createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new StartupError(`port ${port} on ${host} is already in use (set PORT)`) : new StartupError(`cannot listen on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host}:${actualPort}/graphql`,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        // in-flight requests finish; keep-alive sockets are closed as soon as they go idle
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const timer = setTimeout(() => server.closeAllConnections(), graceMs).unref();
        server.close(() => {
          clearInterval(idle);
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
