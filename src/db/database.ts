import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { StartupError } from '../errors.ts';
import { lockDataDir, type LockHolder } from './data-dir-lock.ts';
import { servePGlite } from './pglite-server.ts';

/** The postgres.js client used everywhere; `numeric` and `int8` arrive as strings, `date` as "YYYY-MM-DD". */
export type Sql = postgres.Sql<{}>;
/** A client bound to one open database transaction. */
export type Tx = postgres.TransactionSql<{}>;

/** An open database: the client, where it points, and how to close it. */
export interface Database {
  sql: Sql;
  /** The URL postgres.js connects to (for the embedded database, its loopback socket, with its password). */
  url: string;
  /**
   * True for the embedded database (PGlite): run by this process, or by the process holding its
   * data directory and reached through that one's socket.
   */
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
  /**
   * Embedded only: when another process holds the data directory, refuse instead of connecting
   * through it. The gateway owns its database; CLI commands go through whichever process does.
   */
  exclusive?: boolean;
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
  const target = URL.parse(url);
  if (!target || !['postgres:', 'postgresql:'].includes(target.protocol)) {
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw new StartupError('DATABASE_URL is not a valid postgres:// URL');
  }
  const sql = createClient(url, { max });
  await ping(sql, (error) => connectionProblem(error, target));
  return { sql, url, embedded: false, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The embedded database. In a data directory, one process at a time runs it (the directory's lock)
 * and serves it on a loopback port, whose URL it writes into the directory for the others.
 */
async function openEmbedded({ dataDir = '.fingate', memory = false, exclusive = false }: OpenOptions): Promise<Database> {
  if (memory) return runEmbedded(undefined);
  await mkdir(dataDir, { recursive: true });
  const attempt = await lockDataDir(dataDir);
  if (!attempt.lock) {
    if (exclusive) throw new StartupError(`the embedded database in ${dataDir} is in use by ${holderName(attempt.holder)}; stop that process first`);
    return joinEmbedded(dataDir, attempt.holder);
  }
  const { lock } = attempt;
  let db: Database | undefined;
  try {
    await rm(urlFile(dataDir), { force: true }); // a dead holder's: no one serves it now
    db = await runEmbedded(join(dataDir, 'pgdata'));
    await publishUrl(dataDir, db.url);
  } catch (error) {
    await db?.close();
    await lock.release();
    throw error;
  }
  const opened = db;
  return {
    ...opened,
    async close() {
      await rm(urlFile(dataDir), { force: true });
      await opened.close();
      await lock.release();
    },
  };
}

/** Runs PGlite in this process (in memory when `path` is undefined) and serves it on loopback. */
async function runEmbedded(path: string | undefined): Promise<Database> {
  // Loaded lazily: a gateway on a real server never pays for the wasm build of PostgreSQL.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(path);
  // PGlite checks no password and any local user can reach a loopback port: one per start
  const password = randomBytes(24).toString('base64url');
  const server = await servePGlite(pglite, password).catch(async (error) => {
    await pglite.close();
    throw error;
  });
  const url = `postgres://postgres:${password}@${server.address}/postgres`;
  // PGlite is a single backend: one connection, so this process never waits on itself
  const sql = createClient(url, { max: 1 });
  const close = async () => {
    await sql.end({ timeout: 5 });
    await server.close();
    await pglite.close();
  };
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  await ping(sql, (error) => `cannot reach the embedded database: ${error instanceof Error ? error.message : String(error)}`).catch(async (error) => {
    await close();
    throw error;
  });
  return { sql, url, embedded: true, close };
}

/** Connects through the process that holds `dataDir`, with the URL it wrote there. */
async function joinEmbedded(dataDir: string, holder: LockHolder): Promise<Database> {
  const url = await readFile(urlFile(dataDir), 'utf8').then(
    (text) => text.trim(),
    (error) => {
      if ((error as { code?: string }).code !== 'ENOENT') {
        // Stryker disable next-line StringLiteral: message text, tests assert codes
        throw new StartupError(`cannot read ${urlFile(dataDir)}: ${(error as Error).message}`);
      }
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      throw new StartupError(`the embedded database in ${dataDir} is opened by ${holderName(holder)}, which does not serve it yet; try again in a moment`);
    },
  );
  const sql = createClient(url, { max: 1 });
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  await ping(sql, (error) => `cannot reach the embedded database through ${holderName(holder)}: ${error instanceof Error ? error.message : String(error)}`);
  return { sql, url, embedded: true, close: () => sql.end({ timeout: 5 }) };
}

const urlFile = (dataDir: string) => join(dataDir, 'postgres.url');

/** Writes the URL (it holds the password: owner-only) under a temporary name, then renames it into place. */
async function publishUrl(dataDir: string, url: string): Promise<void> {
  const draft = `${urlFile(dataDir)}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${url}\n`, { mode: 0o600, flag: 'wx' });
  await rename(draft, urlFile(dataDir));
}

const holderName = (holder: LockHolder) => `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}`;

async function ping(sql: Sql, explain: (error: unknown) => string): Promise<void> {
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new StartupError(explain(error));
  }
}

/** What an operator should do about a server's refusal, by SQLSTATE. */
const REFUSAL_HINTS: Record<string, string> = {
  '3D000': 'create it, or fix the database name in DATABASE_URL',
  '28P01': 'check the user and password in DATABASE_URL',
  '28000': "check the user in DATABASE_URL and the server's pg_hba.conf",
  '53300': 'the server has no connection slots left; lower DATABASE_POOL_MAX or raise max_connections',
  '57P03': 'the server is starting up or shutting down; try again shortly',
};

/**
 * One sentence for why the server in DATABASE_URL could not be used: the server's own words and
 * what to do for a refusal (missing database, unknown role, bad password, TLS required), the
 * cause for a network failure (refused, unknown host, no answer, TLS refused or untrusted).
 * Never the URL's password.
 */
export function connectionProblem(error: unknown, target: URL): string {
  const where = `${target.hostname}:${target.port || 5432}`;
  if (error instanceof postgres.PostgresError) {
    const hint = /no encryption/.test(error.message) ? 'the server accepts only TLS connections from here: add sslmode=require to DATABASE_URL' : REFUSAL_HINTS[error.code];
    return `the database server at ${where} refused the connection: ${error.message}${hint ? ` (${hint})` : ` (SQLSTATE ${error.code})`}`;
  }
  const { code = '', message = String(error) } = error as { code?: string; message?: string };
  const sslmode = target.searchParams.get('sslmode') ?? target.searchParams.get('ssl');
  let cause: string;
  // a server without TLS answers the TLS request with "no" and postgres.js's handshake is reset
  if (sslmode && !['disable', 'prefer', 'false'].includes(sslmode) && code === 'ECONNRESET') cause = `it does not accept TLS connections, which DATABASE_URL requires (sslmode=${sslmode})`;
  else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) cause = `its TLS certificate is not trusted: ${message}`;
  else if (code === 'ECONNREFUSED') cause = 'connection refused (is PostgreSQL running and listening there?)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') cause = `the host name ${target.hostname} does not resolve`;
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') cause = 'no route to the host';
  else if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT') cause = 'no answer before the connect timeout';
  else cause = message;
  return `cannot reach the database at ${where}${target.pathname}: ${cause}`;
}
