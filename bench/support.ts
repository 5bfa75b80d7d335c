// Shared setup of the benchmarks: a fresh database on the PostgreSQL server (created, migrated,
// seeded, dropped at the end), the policy runtime over it, and in-process gateways on loopback ports
// built from the same parts as test/support/gateway.ts, with the options a benchmark varies passed
// through (requestPolicy, batchLoads). Each gateway gets its own postgres.js client, made here with
// the same options as src/db/database.ts plus a `debug` hook, so a benchmark can count the SQL
// statements one request sends.
//
//   BENCH_DATABASE_URL (or DATABASE_URL) picks the server; default postgres://postgres@127.0.0.1:5432/test.

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createAuthenticator, mintToken, type Authenticate, type TokenClaims } from '../src/auth.ts';
import { DEV_JWT_SECRET, loadConfig } from '../src/config.ts';
import { createClient, openDatabase, type ClientOptions, type Database, type Sql } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { catalogue, createGateway, type GatewayOptions } from '../src/gateway.ts';
import { toGlobalId } from '../src/ids.ts';
import { configuredModules } from '../src/policy/commands.ts';
import { startPolicyRuntime, type PolicyRuntime } from '../src/policy/runtime.ts';
import { seed, type SeedSummary } from '../src/seed/seed.ts';
import { listen, type RunningServer } from '../src/server.ts';
import { postGraphQL, type GraphQLResponse, type RequestOptions } from '../test/support/http.ts';

export type { GraphQLResponse };

export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const JWT = { secret: DEV_JWT_SECRET, devSecret: true, jwksUrl: undefined, jwksFile: undefined, issuer: undefined, audience: undefined };

/** One SQL statement a gateway's client sent. */
export interface Statement {
  connection: number;
  text: string;
}

/** Counts the statements a gateway's client sends (postgres.js calls `debug` once per statement). */
export interface StatementLog {
  /** Statements since the last reset, the client's own type lookups on a new connection excluded. */
  readonly count: number;
  /** The statements themselves (only when the gateway was started with `recordStatements`). */
  readonly statements: readonly Statement[];
  /** postgres.js's own catalog queries (array types, fetched once per new connection). */
  readonly internal: number;
  reset(): void;
}

export interface BenchGatewayOptions extends Pick<GatewayOptions, 'batchLoads' | 'observers'> {
  /** The policy runtime the gateway decides with, from the real one (e.g. bench/allow-all-policy.ts). */
  runtime?: (real: PolicyRuntime) => PolicyRuntime;
  /** Keep the text of every statement (for breakdowns); counting alone is always on. */
  recordStatements?: boolean;
  /** Connections of this gateway's client. @default 10 (as `fingate start`) */
  max?: number;
}

/** An in-process gateway on a loopback port with its own counted postgres.js client. */
export interface BenchGateway {
  url: string;
  sql: Sql;
  server: RunningServer;
  statements: StatementLog;
  /** Unexpected errors the gateway logged (masked as INTERNAL_SERVER_ERROR in responses that still say 200). */
  readonly errors: number;
  request<T = any>(query: string, options?: RequestOptions): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface BenchOptions {
  /** @default 200 */
  customers?: number;
  /** @default "bench" */
  seedName?: string;
  /** Print progress to stderr. @default true */
  verbose?: boolean;
}

/** A seeded benchmark database and the policy runtime over it, ready to start gateways on. */
export interface Bench {
  db: Database;
  databaseName: string;
  /** The database's URL, for processes of their own. */
  url: string;
  policies: PolicyRuntime;
  authenticate: Authenticate;
  seeded: SeedSummary;
  token(claims: Partial<TokenClaims> & { roles: string[] }): Promise<string>;
  /** A token for the customer with this database key. */
  customerToken(customerKey: string): Promise<string>;
  gateway(options?: BenchGatewayOptions): Promise<BenchGateway>;
  /** Closes every gateway started from this bench, the policy runtime, and drops the database. */
  close(): Promise<void>;
}

/** The gateway's own client options, plus `debug` to count statements. */
export function benchClient(url: string, { max = 10, debug }: { max?: number; debug?: ClientOptions['debug'] } = {}): Sql {
  return createClient(url, { max, applicationName: 'fingate-bench', debug });
}

// postgres.js looks up array types on every new connection (`fetch_types`); not the resolvers' doing
const INTERNAL = /\bpg_catalog\.pg_type\b/;

export async function openBench({ customers = 200, seedName = 'bench', verbose = true }: BenchOptions = {}): Promise<Bench> {
  const log = (message: string) => verbose && process.stderr.write(`${message}\n`);
  const databaseName = `bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();

  const gateways = new Set<BenchGateway>();
  let db: Database | undefined;
  let policies: PolicyRuntime | undefined;
  const close = async () => {
    for (const gateway of gateways) await gateway.close().catch(() => {});
    await policies?.close().catch(() => {});
    await db?.close().catch(() => {});
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`).catch((error) => log(`bench: could not drop ${databaseName}: ${error}`));
    await admin.end({ timeout: 5 });
  };
  // a benchmark interrupted with Ctrl-C still drops its database
  const onSignal = () => void close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);

  try {
    db = await openDatabase({ url: databaseUrl, max: 10 });
    await migrate(db.sql);
    policies = await startPolicyRuntime({ db, dir: loadConfig({}).policiesDir, modules: await configuredModules(), catalogue, watch: false, log: (m) => log(m) });
    log(`bench: seeding ${customers} customers into ${databaseName}…`);
    const seeded = await seed(db.sql, { customers, seed: seedName, policies: policies.at(new Date()), timeZone: loadConfig({}).timeZone });
    log(`bench: ${seeded.customers} customers, ${seeded.transactions} transactions, ${seeded.products} products, ${seeded.accounts} accounts`);
    const authenticate = await createAuthenticator(JWT);
    const token = (claims: Partial<TokenClaims> & { roles: string[] }) => mintToken(DEV_JWT_SECRET, { sub: `bench-${claims.roles[0]}`, ...claims });
    const runtime = policies;

    return {
      db,
      databaseName,
      url: databaseUrl,
      policies: runtime,
      authenticate,
      seeded,
      token,
      customerToken: (key) => token({ roles: ['customer'], customerId: toGlobalId('Customer', key) }),
      async gateway({ recordStatements = false, max = 10, runtime: choose = (real: PolicyRuntime) => real, ...options } = {}) {
        let count = 0;
        let internal = 0;
        let statements: Statement[] = [];
        let errors = 0;
        const sql = benchClient(databaseUrl, {
          max,
          debug: (connection, text) => {
            if (INTERNAL.test(text)) {
              internal++;
              return;
            }
            count++;
            if (recordStatements) statements.push({ connection, text });
          },
        });
        const gateway = createGateway({ sql, authenticate, policies: choose(runtime), logError: (error) => {
            // the first says what is wrong; a failing run repeats it thousands of times
            if (errors++ === 0) log(`gateway error: ${(error as Error)?.stack ?? error}`);
          },
          ...options,
        });
        const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
        const bench: BenchGateway = {
          url: server.url,
          sql,
          server,
          get errors() {
            return errors;
          },
          statements: {
            get count() {
              return count;
            },
            get statements() {
              return statements;
            },
            get internal() {
              return internal;
            },
            reset() {
              count = 0;
              internal = 0;
              statements = [];
            },
          },
          request: (query, options) => postGraphQL(server.url, query, options),
          async close() {
            if (!gateways.delete(bench)) return;
            await server.close(5000);
            await sql.end({ timeout: 5 });
          },
        };
        gateways.add(bench);
        return bench;
      },
      async close() {
        process.off('SIGINT', onSignal);
        await close();
      },
    };
  } catch (error) {
    process.off('SIGINT', onSignal);
    await close();
    throw error;
  }
}

/** Throws when a response has errors or no data: a benchmark of failing requests measures nothing. */
export function expectData<T>(response: GraphQLResponse<T>, what: string): T {
  if (response.status !== 200 || response.errors?.length || !response.data) {
    throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.errors ?? response).slice(0, 500)}`);
  }
  return response.data;
}

/** A plain text table, columns right-aligned except the first. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
