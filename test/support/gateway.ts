import { newSigningKey, signerFrom, type Signer } from '../../src/audit/checkpoint.ts';
import { connectAsApplication } from '../../src/audit/role.ts';
import { startSealer, type Sealer } from '../../src/audit/sealer.ts';
import { createAuthenticator, mintToken, type TokenClaims } from '../../src/auth.ts';
import { DEV_JWT_SECRET, type JwtConfig } from '../../src/config.ts';
import type { Database, Sql } from '../../src/db/database.ts';
import { catalogue, createGateway, type GatewayOptions as CreateGatewayOptions } from '../../src/gateway.ts';
import { toGlobalId } from '../../src/ids.ts';
import { configuredModules } from '../../src/policy/commands.ts';
import type { Limits } from '../../src/limits.ts';
import type { Logger } from '../../src/observability/log.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { listenToStatements } from '../../src/observability/statements.ts';
import type { Tracing } from '../../src/observability/tracing.ts';
import { startPolicyRuntime, type PolicyRuntime } from '../../src/policy/runtime.ts';
import type { PolicyModule } from '../../src/policy/types.ts';
import { createShadowLog, type ShadowLog } from '../../src/policy/shadow-log.ts';
import { loadConfig } from '../../src/config.ts';
import { seed } from '../../src/seed/seed.ts';
import { listen } from '../../src/server.ts';
import { freshDatabase } from './database.ts';
import { postGraphQL, type GraphQLResponse, type RequestOptions } from './http.ts';

export type { GraphQLResponse, RequestOptions };

/** A gateway listening on a loopback port, over its own seeded database. */
export interface TestGateway {
  url: string;
  /** The database as its owner: fixtures. */
  db: Database;
  /** The gateway's own client, running as the application role. */
  app: Sql;
  policies: PolicyRuntime;
  shadowLog: ShadowLog;
  /** The audit sealer (no timer: `seal()` seals what is committed). */
  sealer: Sealer;
  /** Signs the sealer's checkpoints; its public key is the gateway's verification key. */
  signer: Signer;
  /** The signer's private key, PEM (for the CLI's FINGATE_AUDIT_SIGNING_KEY). */
  signingKey: string;
  /** Seals every committed audit record; resolves with how many. */
  seal(): Promise<number>;
  /** Runs `work` as the database owner (a superuser in tests): what an attacker with the owner's rights could do. */
  asOwner<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  request<T = any>(query: string, options?: RequestOptions): Promise<GraphQLResponse<T>>;
  token(claims: Partial<TokenClaims> & { roles: string[] }): Promise<string>;
  /** A token for the customer with this database key. */
  customerToken(customerKey: string): Promise<string>;
  close(): Promise<void>;
}

export const JWT = { secret: DEV_JWT_SECRET, devSecret: true, jwksUrl: undefined, jwksFile: undefined, issuer: undefined, audience: undefined };

export interface GatewayOptions {
  customers?: number;
  seedName?: string;
  /** A folder of policy files other than the project's. */
  policiesDir?: string;
  /** Reload policy files when they change. @default false */
  watch?: boolean;
  /** Policy modules besides the configured ones (e.g. a test observer). */
  modules?: readonly PolicyModule[];
  /** Token rules other than the defaults (e.g. `maxLifetime`). */
  jwt?: Partial<JwtConfig>;
  /** The clock tokens are judged by. @default the system clock */
  now?: () => Date;
  /** Introspection, CORS and persisted operations. @default the gateway's */
  transport?: CreateGatewayOptions['transport'];
  /** Serve GraphiQL. @default false */
  graphiql?: CreateGatewayOptions['graphiql'];
  /** Budgets other than the defaults. */
  limits?: Limits;
  /** Called with the text of every SQL statement sent once the gateway is up. */
  onStatement?: (text: string) => void;
  /** Where unexpected errors go. @default nowhere */
  logError?: (error: unknown, requestId: string) => void;
  metrics?: Metrics;
  logger?: Logger;
  tracing?: Tracing;
}

export async function startGateway({
  customers = 40,
  seedName = 'test',
  policiesDir = loadConfig({}).policiesDir,
  watch = false,
  modules = [],
  jwt,
  now,
  transport,
  graphiql,
  onStatement,
  logError = process.env.DEBUG_GATEWAY ? console.error : () => {},
  ...parts
}: GatewayOptions = {}): Promise<TestGateway> {
  const db = await freshDatabase();
  if (customers > 0) await seed(db.sql, { customers, seed: seedName });
  const app = await connectAsApplication(db, { max: 20, log: () => {} });
  const all = [...(await configuredModules(loadConfig({}))), ...modules];
  const policies = await startPolicyRuntime({ db: { ...db, sql: app.sql }, dir: policiesDir, modules: all, catalogue, watch, log: () => {} });
  const shadowLog = createShadowLog(app.sql, { log: () => {} });
  const signingKey = newSigningKey();
  const signer = signerFrom(signingKey);
  const sealer = startSealer({ sql: app.sql, signer, intervalMs: 0, log: () => {} });
  const authenticate = await createAuthenticator({ ...JWT, ...jwt }, now ? { now } : {});
  const gateway = createGateway({ sql: app.sql, authenticate, policies, observers: [shadowLog], auditKey: signer.publicKey, logError, transport, graphiql, ...parts });
  if (onStatement) listenToStatements(app.sql, { statement: (_connection, text) => onStatement(text) });
  const server = await listen(gateway, { port: 0, host: '127.0.0.1' });
  const token = (claims: Partial<TokenClaims> & { roles: string[] }) => mintToken(DEV_JWT_SECRET, { sub: `test-${claims.roles[0]}`, ...claims });
  return {
    url: server.url,
    db,
    app: app.sql,
    policies,
    shadowLog,
    sealer,
    signer,
    signingKey,
    seal: () => sealer.sealNow(),
    asOwner: <T>(work: (sql: Sql) => Promise<T>): Promise<T> => work(db.sql),
    token,
    customerToken: (key) => token({ sub: `customer-${key}`, roles: ['customer'], customerId: toGlobalId('Customer', key) }),
    request: (query, options) => postGraphQL(server.url, query, options),
    async close() {
      await server.close(1000);
      await sealer.close();
      await shadowLog.close();
      await policies.close();
      await app.close();
      await db.drop();
    },
  };
}
