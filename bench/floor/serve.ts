// Runs one of bench/http-floor.ts's comparison servers as its own process, like `fingate start`:
//   node --import tsx bench/floor/serve.ts floor|bare-yoga
// with DATABASE_URL, GATEWAY_JWT_SECRET and PORT (0 picks one) in the environment. Prints
// "serving <url>" once it listens; SIGTERM stops it.

import { createServer } from 'node:http';
import { createClient } from '../../src/db/database.ts';
import { createBareYoga } from './bare-yoga.ts';
import { createFloorHandler } from './handler.ts';

const kind = process.argv[2];
const sql = createClient(process.env.DATABASE_URL!, { max: 10, applicationName: `bench-${kind}` });
const handler = kind === 'floor' ? createFloorHandler({ sql, secret: process.env.GATEWAY_JWT_SECRET! }) : kind === 'bare-yoga' ? createBareYoga(sql) : undefined;
if (!handler) throw new Error(`usage: serve.ts floor|bare-yoga (got ${kind})`);
const server = createServer(handler);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`serving http://127.0.0.1:${address.port}/graphql\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void sql.end({ timeout: 1 }).then(() => process.exit(0)));
});
