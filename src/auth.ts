import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey, type JWTPayload } from 'jose';
import { DEFAULT_JWT_MAX_LIFETIME, type JwtConfig } from './config.ts';
import { clientError, StartupError } from './errors.ts';
import { parseGlobalId } from './ids.ts';
import type { Principal } from './policy/principal.ts';
import { createTokenCache } from './token-cache.ts';

/** Turns a request's bearer token into a principal, or throws `UNAUTHENTICATED`. */
export type Authenticate = (request: Request) => Promise<Principal>;

const HMAC_ALGORITHMS = ['HS256'];
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** Seconds of clock skew forgiven on `exp` and `nbf`. */
const CLOCK_TOLERANCE = 30;
/** Seconds an `iat` may lie ahead of our clock. */
const IAT_SKEW = 60;

/** What an authenticator may be given besides the configuration. */
export interface AuthenticatorOptions {
  /** The clock tokens are judged by. @default the system clock */
  now?: () => Date;
  /** How many verified tokens are remembered. @default 10000 */
  cacheSize?: number;
}

/** Builds the verifier once at start-up: a JWKS file that cannot be read stops the start. */
export async function createAuthenticator(config: JwtConfig, { now = () => new Date(), cacheSize = 10_000 }: AuthenticatorOptions = {}): Promise<Authenticate> {
  const key = await verificationKey(config);
  const options = {
    // pinned, so a token cannot choose its own algorithm (RFC 8725 §3.1); jose never accepts "none"
    algorithms: config.secret ? HMAC_ALGORITHMS : PUBLIC_KEY_ALGORITHMS,
    requiredClaims: ['sub', 'exp'],
    clockTolerance: CLOCK_TOLERANCE,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const maxLifetime = config.maxLifetime ?? DEFAULT_JWT_MAX_LIFETIME;
  const verified = createTokenCache(cacheSize);
  return async (request) => {
    const header = request.headers.get('authorization');
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/.exec(header ?? '')?.[1];
    if (!token) throw unauthenticated(header ? 'malformed Authorization header' : 'missing bearer token');
    const currentDate = now();
    const seconds = currentDate.getTime() / 1000;
    const cached = verified.get(token, seconds);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      const verifyOptions = { ...options, currentDate };
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions));
    } catch (error) {
      throw unauthenticated(`invalid token (${(error as { code?: string }).code ?? 'unverifiable'})`);
    }
    checkLifetime(payload, seconds, maxLifetime);
    const principal = principalOf(payload);
    verified.set(token, principal, payload.exp!);
    return principal;
  };
}

/**
 * Bounds how long a token lives, so a leaked one is not a standing credential: `exp - iat` (or
 * `exp - now` without `iat`) within the configured maximum, and no `iat` from the future (a
 * forward-dated `iat` would stretch the window).
 */
function checkLifetime({ iat, exp }: JWTPayload, now: number, maxLifetime: number): void {
  if (iat !== undefined && iat > now + IAT_SKEW) throw unauthenticated('claim "iat" lies in the future');
  if (exp! - (iat ?? now) > maxLifetime) throw unauthenticated(`token lifetime exceeds the maximum of ${maxLifetime} s`);
}

async function verificationKey(config: JwtConfig): Promise<CryptoKey | JWTVerifyGetKey> {
  // imported once: from raw bytes, jose would import the key again on every verification (~30 µs)
  if (config.secret) return crypto.subtle.importKey('raw', new TextEncoder().encode(config.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  if (config.jwksFile) {
    try {
      return createLocalJWKSet(JSON.parse(await readFile(config.jwksFile, 'utf8')));
    } catch (error) {
      throw new StartupError(`GATEWAY_JWKS_FILE: cannot load ${config.jwksFile}: ${(error as Error).message}`);
    }
  }
  if (config.jwksUrl) return createRemoteJWKSet(new URL(config.jwksUrl));
  throw new StartupError('no JWT verification key configured');
}

/** The principal a token names; frozen, because a cached principal is shared by its token's requests. */
function principalOf(payload: JWTPayload): Principal {
  // a string, so `sub: 777` and `sub: "777"` cannot name one principal (idempotency keys are scoped by it)
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw unauthenticated('claim "sub" must be a non-empty string');
  const roles = payload.roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw unauthenticated('claim "roles" must be an array of strings');
  const customerId = optionalKey(payload.customer_id, 'Customer', 'customer_id');
  const institutionId = optionalKey(payload.institution_id, 'Institution', 'institution_id');
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return Object.freeze({ id: payload.sub, roles: Object.freeze([...roles]), customerId, institutionId, scopes: Object.freeze(scopes) });
}

/** `customer_id` and `institution_id` are the API's global ids; a malformed one is not trusted. */
function optionalKey(claim: unknown, type: 'Customer' | 'Institution', name: string): string | undefined {
  if (claim === undefined) return undefined;
  const parsed = typeof claim === 'string' ? parseGlobalId(claim) : undefined;
  if (!parsed || parsed.type !== type) throw unauthenticated(`claim "${name}" is not a ${type} id`);
  return parsed.key;
}

function unauthenticated(message: string) {
  return clientError('UNAUTHENTICATED', message);
}

/** What a development token says about its holder. */
export interface TokenClaims {
  sub: string;
  roles: string[];
  /** The customer's global id (for the `customer` role). */
  customerId?: string | undefined;
  /** The institution's global id (for staff). */
  institutionId?: string | undefined;
  scope?: string | undefined;
  /** Lifetime, e.g. "12h". @default "12h" */
  expiresIn?: string;
}

/** Mints an HS256 token, for development and tests (`fingate token`). */
export async function mintToken(secret: string, claims: TokenClaims, config: Pick<JwtConfig, 'issuer' | 'audience'> = { issuer: undefined, audience: undefined }): Promise<string> {
  const jwt = new SignJWT({
    roles: claims.roles,
    ...(claims.customerId ? { customer_id: claims.customerId } : {}),
    ...(claims.institutionId ? { institution_id: claims.institutionId } : {}),
    ...(claims.scope ? { scope: claims.scope } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '12h');
  if (config.issuer) jwt.setIssuer(config.issuer);
  if (config.audience) jwt.setAudience(config.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
