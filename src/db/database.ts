import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { StartupError } from '../errors.ts';

/** The postgres.js client used everywhere; `numeric` and `int8` arrive as strings, `date` as "YYYY-MM-DD". */
export type Sql = postgres.Sql<{}>;
/** A client bound to one open database transaction. */
export type Tx = postgres.TransactionSql<{}>;

/** An open database: the client, where it points, and how to close it. */
export interface Database {
  sql: Sql;
  /** The URL postgres.js connects to (for the embedded database, its loopback socket). */
  url: string;
  /** True when this process runs the database itself (PGlite). */
  embedded: boolean;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** @default 10 */
  max?: number;
  /** @default "fingate" */
  applicationName?: string;
  /** Called with every statement sent (benchmarks count round trips with it). */
  debug?: (connection: number, query: string, parameters: unknown[], types: unknown[]) => void;
}

export interface OpenOptions {
  /** A PostgreSQL URL; absent means embedded. */
  url?: string | undefined;
  /** Embedded only: the folder for the database files. */
  dataDir?: string;
  /** Embedded only: keep nothing on disk. */
  memory?: boolean;
  /** Connections to a real server. @default 10 */
  max?: number;
}

/** Opens the configured database and proves it answers; failures are one-line StartupErrors. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  return options.url ? openServer(options.url, options.max ?? 10) : openEmbedded(options);
}

/** A postgres.js client with the options every query of the gateway relies on. */
export function createClient(url: string, { max = 10, applicationName = 'fingate', debug }: ClientOptions = {}): Sql {
  return postgres(url, {
    max,
    ...(debug ? { debug } : {}),
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
    transform: postgres.camel,
    connection: { application_name: applicationName, TimeZone: 'UTC' },
    types: {
      // keep calendar dates as the strings they are; a JS Date would drag a time zone in
      date: { to: 1082, from: [1082], serialize: (value: string) => value, parse: (value: string) => value },
    },
  });
}

async function openServer(url: string, max: number): Promise<Database> {
  let target: URL;
  try {
    target = new URL(url);
    if (!/^postgres(ql)?:$/.test(target.protocol)) throw new Error('not a postgres URL');
  } catch {
    throw new StartupError('DATABASE_URL is not a valid postgres:// URL');
  }
  const sql = createClient(url, { max });
  await ping(sql, `the database at ${target.host}${target.pathname}`);
  return { sql, url, embedded: false, close: () => sql.end({ timeout: 5 }) };
}

async function openEmbedded({ dataDir = '.fingate', memory = false }: OpenOptions): Promise<Database> {
  // Loaded lazily: a gateway on a real server never pays for the wasm build of PostgreSQL.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  let db: InstanceType<typeof PGlite>;
  if (memory) {
    db = await PGlite.create();
  } else {
    await mkdir(dataDir, { recursive: true });
    db = await PGlite.create(join(dataDir, 'pgdata'));
  }
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  // PGlite is a single backend: one connection keeps transactions from interleaving.
  const sql = createClient(url, { max: 1 });
  await ping(sql, 'the embedded database');
  return {
    sql,
    url,
    embedded: true,
    async close() {
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
    },
  };
}

async function ping(sql: Sql, what: string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const reason = error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
    throw new StartupError(`cannot reach ${what}: ${reason}`);
  }
}
