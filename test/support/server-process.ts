// The gateway as a separate process, the way operators run it (`fingate start`), over its own
// database on the PostgreSQL server in DATABASE_URL or an embedded one in a data directory: for
// tests that kill it or run CLI commands beside it, and for benchmarks.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { catalogue } from '../../src/gateway.ts';
import { configuredModules } from '../../src/policy/commands.ts';
import { seedUnderPolicies } from '../../src/seed/seed.ts';
import { emptyServerDatabase } from './database.ts';

const CLI = fileURLToPath(new URL('../../src/bin/fingate.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A new, migrated and seeded database on the server in DATABASE_URL, and how to drop it. */
export async function seededServerDatabase({ customers, prefix = 'fingate_test' }: { customers: number; prefix?: string }): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('a separate gateway process needs a PostgreSQL server: set DATABASE_URL');
  const database = await emptyServerDatabase(server, prefix);
  const db = await openDatabase({ url: database.url, max: 4 });
  try {
    await migrate(db.sql);
    const config = loadConfig({});
    await seedUnderPolicies(db, { customers, seed: 'test', timeZone: config.timeZone }, { dir: config.policiesDir, modules: await configuredModules(config), catalogue, log: () => {} });
  } finally {
    await db.close();
  }
  return database;
}

/** A running `fingate start` child process. */
export interface GatewayProcess {
  /** Its GraphQL endpoint, from the line it prints when it serves. */
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `node src/bin/fingate.js start` against `databaseUrl` on a free loopback port and resolves
 * once it serves. `nodeArgs` go before the script (e.g. `--import` of module hooks); `root` is
 * another checkout to run (a benchmark's baseline).
 */
export async function startGatewayProcess(
  databaseUrl: string,
  { nodeArgs = [], env = {}, root = ROOT }: { nodeArgs?: string[]; env?: Record<string, string>; root?: string } = {},
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...nodeArgs, root === ROOT ? CLI : join(root, 'src/bin/fingate.js'), 'start'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', GATEWAY_JWT_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /fingate serving (http:\/\/\S+\/graphql)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${code}) before serving:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * `fingate start` on the embedded database in `dataDir`, whatever DATABASE_URL the tests run with;
 * a new directory is seeded with 20 demo customers.
 */
export function startEmbeddedGatewayProcess(dataDir: string, { env = {} }: { env?: Record<string, string> } = {}): Promise<GatewayProcess> {
  // an empty DATABASE_URL counts as unset
  return startGatewayProcess('', { env: { FINGATE_DATA_DIR: dataDir, FINGATE_DEMO_CUSTOMERS: '20', ...env } });
}

/** What a finished `fingate` command left. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `fingate` command to completion on the embedded database in `dataDir`. */
export function runEmbeddedCommand(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: '', PORT: '0', GATEWAY_JWT_SECRET: '', FINGATE_DATA_DIR: dataDir, FINGATE_DEMO_CUSTOMERS: '20', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
