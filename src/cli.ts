import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { auditCommand, configuredSigner, configuredVerifyKey, withApplicationDatabase } from './audit/commands.ts';
import { createAuditLog } from './audit/log.ts';
import { operator, recordCommand } from './audit/operator.ts';
import { connectAsApplication } from './audit/role.ts';
import { startSealer } from './audit/sealer.ts';
import { createAuthenticator, mintToken } from './auth.ts';
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type Sql } from './db/database.ts';
import { migrate, MigrationError } from './db/migrate.ts';
import { isClientError, StartupError } from './errors.ts';
import { catalogue, createGateway } from './gateway.ts';
import { createTransport } from './http/transport.ts';
import { toGlobalId } from './ids.ts';
import { coolingOffSweep } from './money/cooling-off.ts';
import { pruneExpiredKeys } from './money/idempotency.ts';
import { createLogger, logErrorsTo } from './observability/log.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { serveMetrics } from './observability/metrics-server.ts';
import { startTracing } from './observability/tracing.ts';
import { PolicyBuildError } from './policy/build.ts';
import { configuredModules, policyCommand, recordOperatorCommand } from './policy/commands.ts';
import { startPolicyRuntime, type VersionSet } from './policy/runtime.ts';
import { createShadowLog } from './policy/shadow-log.ts';
import { ROLES } from './policy/principal.ts';
import { seedUnderPolicies } from './seed/seed.ts';
import { bind } from './server.ts';

const USAGE = `usage: fingate <command> [options]

  start [--memory]                         migrate, seed the demo (embedded, first start), serve GraphQL
  migrate                                  apply pending migrations
  seed --customers N [--seed S]            load deterministic demo data into an empty database
  token --role R [--customer ID] [--institution ID] [--sub S] [--ttl 12h]
                                           print a development token (HS256, GATEWAY_JWT_SECRET)
  schema                                   write the printed SDL to schema/schema.graphql
  policy <command>                         validate, test, build, diff, activate, replay… (fingate policy help)
  audit <command>                          verify the audit chain, export the trail, checkpoint (fingate audit help)
`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  start,
  migrate: migrateCommand,
  seed: seedCommand,
  token,
  schema: schemaCommand,
  policy: async (args) => {
    process.exitCode = await policyCommand(args);
  },
  audit: async (args) => {
    process.exitCode = await auditCommand(args, (db, seq) =>
      recordOperatorCommand(db, { argv: ['audit', ...args], name: 'fingate audit checkpoint', action: 'audit.checkpoint', resourceType: 'AuditEvent', resourceIds: [seq] }),
    );
  },
};

/** Runs one CLI command; operator errors print one line and exit non-zero. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(USAGE);
    process.exitCode = name === undefined || name === 'help' || name === '--help' ? 0 : 2;
    return;
  }
  try {
    await command(args);
  } catch (error) {
    if (
      error instanceof StartupError ||
      error instanceof MigrationError ||
      error instanceof PolicyBuildError ||
      isClientError(error) ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`fingate ${name}: ${(error as Error).message}\n`);
    } else {
      process.stderr.write(`fingate ${name}: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.exitCode = 1;
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { memory: { type: 'boolean', default: false } } });
  const config = loadConfig(process.env, { memory: values.memory });
  if (config.production && !config.audit.signingKey) throw new StartupError('NODE_ENV=production needs FINGATE_AUDIT_SIGNING_KEY (an Ed25519 private key) to sign audit checkpoints');
  const authenticate = await createAuthenticator(config.jwt);
  const modules = await configuredModules(config);
  const transport = await createTransport(config);
  // start-up lines stay human-readable (they carry the demo tokens); what happens while serving is JSON
  const logger = createLogger({ level: config.observability.logLevel });
  const signer = await configuredSigner(config, log);
  // the port first: a port in use stops the start before a database is opened, migrated or seeded
  const server = await bind(config);
  // resources close in reverse order, also when start-up fails half-way (a missing database)
  const closers: (() => Promise<void>)[] = [() => server.close()];
  try {
    // the gateway owns its embedded database (another process holding the data directory is
    // refused); the owner migrates and seeds, everything after runs as the application role
    const db = await openDatabase({ url: config.databaseOwnerUrl ?? config.databaseUrl, dataDir: config.dataDir, memory: config.memory, max: 2, exclusive: true });
    closers.unshift(() => db.close());
    const applied = await migrate(db.sql);
    if (applied.length) log(`migrated: ${applied.join(', ')}`);
    const seeding = db.embedded && !(await hasCustomers(db.sql));
    if (seeding) {
      log(`seeding ${config.demoCustomers} demo customers into the embedded database…`);
      // the demo follows the policy versions in force (a new database's: the newest)
      await seedUnderPolicies(db, { customers: config.demoCustomers, seed: 'demo', timeZone: config.timeZone, onProgress: progress }, { dir: config.policiesDir, modules, catalogue, log });
    }
    const app = await connectAsApplication(db, { url: config.databaseUrl, role: config.databaseRole, max: config.poolMax, production: config.production, log });
    closers.unshift(() => app.close());
    const policies = await startPolicyRuntime({ db: { ...db, sql: app.sql }, dir: config.policiesDir, modules, catalogue, log: (message) => logger.info(message) });
    closers.unshift(() => policies.close());
    await recordStart(app.sql, policies.at(new Date()), applied, seeding ? config.demoCustomers : 0);
    const sealer = startSealer({
      sql: app.sql,
      signer,
      checkpointDir: config.audit.checkpointDir,
      intervalMs: config.audit.sealMs,
      checkpointEveryMs: config.audit.checkpointSeconds * 1000,
      log,
    });
    // on the way out, seal what the last requests recorded (another instance would otherwise)
    closers.unshift(async () => {
      await sealer.sealNow().catch((error) => log(`audit: final sealing failed: ${(error as Error).message}`));
      await sealer.close();
    });
    const shadowLog = createShadowLog(app.sql, { log: (message) => logger.error(message) });
    closers.unshift(() => shadowLog.close());
    // idempotency keys are kept 7 days, then pruned (hourly; any instance may do it)
    const pruning = setInterval(() => void pruneExpiredKeys(app.sql).catch((error) => logger.error({ err: error }, 'pruning idempotency keys failed')), 3_600_000).unref();
    closers.unshift(async () => clearInterval(pruning));
    // purchases whose cooling-off period is over complete within a minute (any instance; each once),
    // recorded in the audit trail with the versions in force
    const sweep = coolingOffSweep(app.sql, policies);
    const completing = setInterval(() => void sweep(new Date()).catch((error) => logger.error({ err: error }, 'completing cooling-off purchases failed')), 60_000).unref();
    closers.unshift(async () => clearInterval(completing));
    // demo tokens are signed with the documented development secret only: a real secret's tokens never go to a log
    const tokens = config.jwt.devSecret && !config.production ? await demoTokens(app.sql, config) : [];
    let metrics: Metrics | undefined;
    if (config.observability.metrics) {
      metrics = createMetrics({ poolMax: db.embedded ? 1 : config.poolMax });
      const metricsServer = await serveMetrics(metrics, config.observability.metrics);
      closers.unshift(() => metricsServer.close());
      log(`metrics at ${metricsServer.url}`);
    }
    const tracing = config.observability.tracing ? await startTracing() : undefined;
    if (tracing) closers.unshift(() => tracing.close());
    const gateway = createGateway({
      sql: app.sql,
      authenticate,
      policies,
      observers: [shadowLog],
      timeZone: config.timeZone,
      auditKey: signer?.publicKey ?? configuredVerifyKey(config),
      graphiql: config.production ? false : { headers: JSON.stringify({ Authorization: `Bearer ${tokens.find((t) => t.role === 'compliance')?.token ?? ''}`, 'x-access-purpose': 'risk-control' }) },
      transport,
      limits: config.limits,
      logger,
      logError: logErrorsTo(logger),
      metrics,
      tracing,
    });
    if (tracing) log('tracing: exporting spans over OTLP/HTTP');
    server.serve(gateway);
    log(`fingate serving ${server.url} (${db.embedded ? (config.memory ? 'embedded, in memory' : `embedded, data in ${config.dataDir}`) : 'PostgreSQL'})`);
    if (config.jwt.devSecret) log('using the documented development JWT secret; set GATEWAY_JWT_SECRET for anything real');
    for (const { label, who, token } of tokens) log(`\n${label}${who ? ` (${who})` : ''}:\n  Authorization: Bearer ${token}`);
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log(`${signal}: finishing in-flight requests…`);
    await server.close();
  } finally {
    for (const close of closers) await close();
  }
}

/** Records what `start` changed before serving (migrations, the demo seed) as the operator's commands. */
async function recordStart(sql: Sql, versions: VersionSet, applied: string[], seeded: number): Promise<void> {
  const bound = createAuditLog(sql).bind(versions);
  const common = { argv: ['start'], name: 'fingate start', by: operator('fingate:start'), inTransaction: false };
  if (applied.length) await recordCommand(sql, bound, { ...common, action: 'schema.migrate', resourceType: null, resourceIds: applied });
  if (seeded) await recordCommand(sql, bound, { ...common, action: 'data.seed', resourceType: 'Customer', resourceIds: [], argv: ['start', `(${seeded} demo customers)`] });
}

async function migrateCommand(args: string[]): Promise<void> {
  const config = loadConfig();
  let applied: string[] = [];
  await withApplicationDatabase(
    config,
    async (sql, db) => {
      if (applied.length) await recordOperatorCommand({ ...db, sql }, { argv: ['migrate', ...args], name: 'fingate migrate', action: 'schema.migrate', resourceType: null, resourceIds: applied });
    },
    async (owner) => {
      applied = await migrate(owner.sql);
    },
  );
  log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
}

async function seedCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { customers: { type: 'string', default: '1000' }, seed: { type: 'string', default: 'demo' }, memory: { type: 'boolean', default: false } },
  });
  const customers = Number(values.customers);
  if (!Number.isInteger(customers) || customers < 1) throw new StartupError('--customers must be a positive integer');
  const config = loadConfig(process.env, { memory: values.memory });
  const started = performance.now();
  let summary: unknown;
  await withApplicationDatabase(
    config,
    (sql, db) => recordOperatorCommand({ ...db, sql }, { argv: ['seed', ...args], name: 'fingate seed', action: 'data.seed', resourceType: 'Customer', resourceIds: [] }),
    async (owner) => {
      await migrate(owner.sql);
      if (await hasCustomers(owner.sql)) throw new StartupError('the database already has customers; demo data goes only into an empty database');
      // the demo follows the policy versions in force (a new database's: the newest)
      const source = { dir: config.policiesDir, modules: await configuredModules(config), catalogue, log };
      summary = await seedUnderPolicies(owner, { customers, seed: values.seed, timeZone: config.timeZone, onProgress: progress }, source);
    },
  );
  log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(summary)}`);
}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string', multiple: true },
      customer: { type: 'string' },
      institution: { type: 'string' },
      sub: { type: 'string' },
      scope: { type: 'string' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  if (!values.role?.length) throw new StartupError(`--role is required (${ROLES.join(', ')})`);
  const config = loadConfig();
  if (!config.jwt.secret) throw new StartupError('minting tokens needs GATEWAY_JWT_SECRET (the gateway is configured for a JWKS)');
  process.stdout.write(
    `${await mintToken(
      config.jwt.secret,
      {
        sub: values.sub ?? `${values.role[0]}-dev`,
        roles: values.role,
        customerId: values.customer,
        institutionId: values.institution,
        scope: values.scope,
        expiresIn: values.ttl,
      },
      config.jwt,
    )}\n`,
  );
}

async function schemaCommand(): Promise<void> {
  const { printedSchema, schemaFile } = await import('../schema/index.ts');
  await writeFile(schemaFile, printedSchema());
  log(`wrote ${fileURLToPath(schemaFile)}`);
}

async function hasCustomers(sql: Sql): Promise<boolean> {
  const [row] = await sql`select exists (select 1 from customers) as any`;
  return Boolean(row?.any);
}

/** A ready-to-paste token for each role, bound to demo data where the role needs it. */
async function demoTokens(sql: Sql, config: Config) {
  // the customers the README's examples need, each the first of its kind: a C3 investor with a
  // balance that shows suitability at work (R1–R3 sell, R4 funds need the confirmed risk warning),
  // one of the lowest category (nothing above R1), and one holding ¥1,000,000 or more (a transfer
  // of ¥500,000 raises the large-value alerts compliance reviews in riskAlerts)
  const [demo] = await sql<{ c3: string | null; c3Institution: string | null; lowest: string | null; wealthy: string | null }[]>`
    with latest as (
      select c.id, c.institution_id, c.investor_type, r.tolerance, r.lowest_category, r.expires_at > now() as current,
             (select max(a.balance) from accounts a where a.customer_id = c.id and a.kind = 'CUSTOMER') as balance
        from customers c
        join lateral (select tolerance, lowest_category, expires_at from risk_assessments r where r.customer_id = c.id
                       order by assessed_at desc, id desc limit 1) r on true)
    , c3 as (select id, institution_id from latest where tolerance = 'C3' and not lowest_category and current and investor_type = 'ORDINARY' and balance >= 20000 order by id limit 1)
    select (select id from c3)::text as c3, (select institution_id from c3)::text as c3_institution,
           (select min(id) from latest where lowest_category and current and balance >= 1000)::text as lowest,
           (select min(id) from latest where current and investor_type = 'ORDINARY' and balance >= 1000000)::text as wealthy`;
  const mint = (sub: string, role: string, claims: { customerId?: string | undefined; institutionId?: string | undefined; scope?: string } = {}) =>
    mintToken(config.jwt.secret!, { sub: `demo-${sub}`, roles: [role], ...claims }, config.jwt);
  const customer = async (label: string, sub: string, id: string | null | undefined) =>
    id ? [{ role: 'customer', label, who: `customer ${toGlobalId('Customer', id)}`, token: await mint(sub, 'customer', { customerId: toGlobalId('Customer', id) }) }] : [];
  const institutionId = demo?.c3Institution ? toGlobalId('Institution', demo.c3Institution) : undefined;
  return [
    ...(await customer('customer', 'customer', demo?.c3)),
    ...(await customer('customer of the lowest category', 'customer-lowest', demo?.lowest)),
    ...(await customer('customer holding ¥1,000,000 or more', 'customer-wealthy', demo?.wealthy)),
    { role: 'advisor', label: 'advisor', who: institutionId && `institution ${institutionId}`, token: await mint('advisor', 'advisor', { institutionId }) },
    { role: 'compliance', label: 'compliance', who: undefined, token: await mint('compliance', 'compliance') },
    { role: 'auditor', label: 'auditor', who: undefined, token: await mint('auditor', 'auditor') },
    { role: 'service', label: 'service', who: 'scopes customers:read transactions:read', token: await mint('service', 'service', { scope: 'customers:read transactions:read' }) },
  ];
}

function progress(done: number, total: number): void {
  process.stderr.write(`\r  ${done}/${total} customers`);
  if (done === total) process.stderr.write('\n');
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
