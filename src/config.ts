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
  /** The cost and time budgets of one request. */
  limits: Limits;
  observability: ObservabilityConfig;
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

/** How bearer tokens are verified (see ../shared/contract/AUTH.md). */
export interface JwtConfig {
  /** HS256 secret. */
  secret: string | undefined;
  /** True when no secret was configured and the documented development secret is in use. */
  devSecret: boolean;
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

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
    },
    timeZone,
    demoCustomers: integer(env, 'FINGATE_DEMO_CUSTOMERS', 1000, 1, 10_000_000),
    poolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    policiesDir: env.FINGATE_POLICIES_DIR ? resolve(env.FINGATE_POLICIES_DIR) : fileURLToPath(new URL('../policies/', import.meta.url)),
    limits: {
      maxCost: integer(env, 'FINGATE_MAX_COST', DEFAULT_LIMITS.maxCost, 1, Number.MAX_SAFE_INTEGER),
      requestTimeoutMs: integer(env, 'FINGATE_REQUEST_TIMEOUT_MS', DEFAULT_LIMITS.requestTimeoutMs, 1, 3_600_000),
    },
    observability: {
      metrics: env.FINGATE_METRICS_PORT ? { port: integer(env, 'FINGATE_METRICS_PORT', 0, 0, 65535), host: env.FINGATE_METRICS_HOST || '127.0.0.1' } : undefined,
      logLevel: oneOf(env, 'FINGATE_LOG_LEVEL', LOG_LEVELS, 'info'),
      tracing: oneOf(env, 'FINGATE_TRACING', ['on', 'off'], env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'on' : 'off') === 'on',
    },
  };
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new StartupError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
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
