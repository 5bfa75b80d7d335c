import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartupError } from './errors.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';

/** The gateway's settings, read once from the environment (see the README's Configuration table). */
export interface Config {
  /** A PostgreSQL URL; when absent the gateway runs an embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Where the embedded database keeps its files. @default ".fingate" */
  dataDir: string;
  /** Keep the embedded database in memory only (the `--memory` flag). */
  memory: boolean;
  /** @default 4000 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  production: boolean;
  jwt: JwtConfig;
  /** The business day's time zone, for licence validity and same-day AML totals. @default "Asia/Shanghai" */
  timeZone: string;
  /** Customers seeded into a new embedded database on first start. @default 1000 */
  demoCustomers: number;
  /** Connections per process to a real PostgreSQL server (the embedded one takes exactly one). @default 10 */
  poolMax: number;
  /** The folder of versioned policy files, watched for changes. @default the project's policies/ */
  policiesDir: string;
  /** Files whose default export lists the policy modules to run (FINGATE_PLUGINS, comma-separated). @default the project's plugins/index.ts */
  plugins: string[];
  http: HttpConfig;
  /** The cost and time budgets of one request. */
  limits: Limits;
  observability: ObservabilityConfig;
  /** The owner's URL, for migrations and seeding (DATABASE_OWNER_URL). @default databaseUrl */
  databaseOwnerUrl: string | undefined;
  /** The role the gateway's statements run as (FINGATE_DB_ROLE). @default "fingate_app" */
  databaseRole: string;
  audit: AuditConfig;
}

/** The audit trail's sealing and checkpoints. */
export interface AuditConfig {
  /** Ed25519 private key (PKCS#8 PEM, or a file path) that signs checkpoints (FINGATE_AUDIT_SIGNING_KEY). */
  signingKey: string | undefined;
  /** Ed25519 public key (PEM, or a file path) checkpoints are verified with (FINGATE_AUDIT_VERIFY_KEY). @default the signing key's */
  verifyKey: string | undefined;
  /** Where the sealer also writes each checkpoint as a file (FINGATE_AUDIT_CHECKPOINT_DIR). */
  checkpointDir: string | undefined;
  /** A new checkpoint when the chain has grown and the last is this old (FINGATE_AUDIT_CHECKPOINT_SECONDS). @default 60 */
  checkpointSeconds: number;
  /** Between sealing rounds (FINGATE_AUDIT_SEAL_MS). @default 500 */
  sealMs: number;
}

/** Who may introspect the schema: nobody, any role but `customer`, or every authenticated caller. */
export type IntrospectionMode = 'off' | 'staff' | 'on';

/** What the HTTP surface accepts beyond plain authenticated GraphQL (see src/http/). */
export interface HttpConfig {
  /** @default "on", and "off" in production */
  introspection: IntrospectionMode;
  /**
   * Browser origins allowed to call with credentials: exact origins, or `scheme://host:*` for any
   * port. @default loopback origins on any port, and none in production
   */
  corsOrigins: string[];
  /** A JSON file mapping operation hash to document; in production only these are served. */
  persistedOperationsFile: string | undefined;
}

/** Metrics, logs and traces (see the README's Operations section). */
export interface ObservabilityConfig {
  /** Where Prometheus scrapes `/metrics` (`FINGATE_METRICS_PORT`, `FINGATE_METRICS_HOST`, default loopback), a listener of its own; unset: no metrics. */
  metrics: { port: number; host: string } | undefined;
  /** The least severe JSON log line written. @default "info" */
  logLevel: LogLevel;
  /** Export OpenTelemetry traces over OTLP/HTTP; on when an OTLP endpoint is configured. */
  tracing: boolean;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How bearer tokens are verified (see schema/contract/AUTH.md). */
export interface JwtConfig {
  /** HS256 secret. */
  secret: string | undefined;
  /** True when no secret was configured and the documented development secret is in use. */
  devSecret: boolean;
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  /** The longest lifetime (`exp - iat`, or `exp - now` without `iat`) accepted, in seconds. @default 86400 (24 h) */
  maxLifetime?: number;
}

export const DEFAULT_JWT_MAX_LIFETIME = 86_400;

/** The documented development secret. Refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'fingate-development-secret-never-use-in-production';

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: { memory?: boolean } = {}): Config {
  const production = env.NODE_ENV === 'production';
  const jwksUrl = env.GATEWAY_JWKS_URL || undefined;
  const jwksFile = env.GATEWAY_JWKS_FILE || undefined;
  const secret = env.GATEWAY_JWT_SECRET || undefined;
  if (production && !secret && !jwksUrl && !jwksFile) {
    throw new StartupError('NODE_ENV=production needs GATEWAY_JWT_SECRET, GATEWAY_JWKS_URL or GATEWAY_JWKS_FILE');
  }
  if (production && secret === DEV_JWT_SECRET) {
    throw new StartupError('NODE_ENV=production refuses the documented development JWT secret');
  }
  if (secret !== undefined && secret.length < 32) {
    throw new StartupError('GATEWAY_JWT_SECRET must be at least 32 characters (HS256 needs a 256-bit key)');
  }
  const timeZone = env.FINGATE_TIME_ZONE || 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new StartupError(`FINGATE_TIME_ZONE: unknown time zone "${timeZone}"`);
  }
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.FINGATE_DATA_DIR || '.fingate'),
    memory: flags.memory ?? false,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    production,
    jwt: {
      secret: secret ?? (jwksUrl || jwksFile ? undefined : DEV_JWT_SECRET),
      devSecret: !secret && !jwksUrl && !jwksFile,
      jwksUrl,
      jwksFile,
      issuer: env.GATEWAY_JWT_ISSUER || undefined,
      audience: env.GATEWAY_JWT_AUDIENCE || undefined,
      maxLifetime: integer(env, 'GATEWAY_JWT_MAX_LIFETIME', DEFAULT_JWT_MAX_LIFETIME, 60, 31_536_000),
    },
    timeZone,
    demoCustomers: integer(env, 'FINGATE_DEMO_CUSTOMERS', 1000, 1, 10_000_000),
    poolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    policiesDir: env.FINGATE_POLICIES_DIR ? resolve(env.FINGATE_POLICIES_DIR) : fileURLToPath(new URL('../policies/', import.meta.url)),
    plugins: env.FINGATE_PLUGINS
      ? env.FINGATE_PLUGINS.split(',').map((file) => resolve(file.trim())).filter(Boolean)
      : [fileURLToPath(new URL('../plugins/index.ts', import.meta.url))],
    http: {
      introspection: oneOf(env, 'FINGATE_INTROSPECTION', ['off', 'staff', 'on'], production ? 'off' : 'on'),
      corsOrigins: origins(env.FINGATE_CORS_ORIGINS ?? (production ? '' : DEV_CORS_ORIGINS)),
      persistedOperationsFile: env.FINGATE_PERSISTED_OPERATIONS ? resolve(env.FINGATE_PERSISTED_OPERATIONS) : undefined,
    },
    limits: {
      maxCost: integer(env, 'FINGATE_MAX_COST', DEFAULT_LIMITS.maxCost, 1, Number.MAX_SAFE_INTEGER),
      requestTimeoutMs: integer(env, 'FINGATE_REQUEST_TIMEOUT_MS', DEFAULT_LIMITS.requestTimeoutMs, 1, 3_600_000),
    },
    observability: {
      metrics: env.FINGATE_METRICS_PORT ? { port: integer(env, 'FINGATE_METRICS_PORT', 0, 0, 65535), host: env.FINGATE_METRICS_HOST || '127.0.0.1' } : undefined,
      logLevel: oneOf(env, 'FINGATE_LOG_LEVEL', LOG_LEVELS, 'info'),
      tracing: oneOf(env, 'FINGATE_TRACING', ['on', 'off'], env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'on' : 'off') === 'on',
    },
    databaseOwnerUrl: env.DATABASE_OWNER_URL || undefined,
    databaseRole: role(env.FINGATE_DB_ROLE || 'fingate_app'),
    audit: {
      signingKey: env.FINGATE_AUDIT_SIGNING_KEY || undefined,
      verifyKey: env.FINGATE_AUDIT_VERIFY_KEY || undefined,
      checkpointDir: env.FINGATE_AUDIT_CHECKPOINT_DIR ? resolve(env.FINGATE_AUDIT_CHECKPOINT_DIR) : undefined,
      checkpointSeconds: integer(env, 'FINGATE_AUDIT_CHECKPOINT_SECONDS', 60, 1, 86_400),
      sealMs: integer(env, 'FINGATE_AUDIT_SEAL_MS', 500, 50, 60_000),
    },
  };
}

/** Outside production, front ends served from this machine (a dev server on any port) may call. */
const DEV_CORS_ORIGINS = 'http://localhost:*,http://127.0.0.1:*';

/** A comma-separated list of origins; `*` is refused: an arbitrary origin never gets credentials. */
function origins(raw: string): string[] {
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    if (!/^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(:(\d{1,5}|\*))?$/i.test(origin)) {
      throw new StartupError(`FINGATE_CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com or http://localhost:*`);
    }
  }
  return list.map((o) => o.toLowerCase());
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new StartupError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function role(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new StartupError(`FINGATE_DB_ROLE must be a lowercase role name, got "${name}"`);
  return name;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StartupError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
