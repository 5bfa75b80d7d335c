import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, SignJWT, UnsecuredJWT, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
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
  const verify = await verifierOf(config);
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
    const token = header?.match(/^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/)?.[1];
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    if (!token) throw unauthenticated(header ? 'malformed Authorization header' : 'missing bearer token');
    const currentDate = now();
    const seconds = currentDate.getTime() / 1000;
    const cached = verified.get(token, seconds);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      payload = await verify(token, { ...options, currentDate });
    } catch (error) {
      // Stryker disable next-line StringLiteral,LogicalOperator: message text (jose's code in it), tests assert codes
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
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (iat !== undefined && iat > now + IAT_SKEW) throw unauthenticated('claim "iat" lies in the future');
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (exp! - (iat ?? now) > maxLifetime) throw unauthenticated(`token lifetime exceeds the maximum of ${maxLifetime} s`);
}

/** Checks a token's signature, header and claims; throws (with jose's error codes) when it fails. */
type Verify = (token: string, options: JWTVerifyOptions) => Promise<JWTPayload>;

async function verifierOf(config: JwtConfig): Promise<Verify> {
  if (config.secret) return hs256Verifier(config.secret);
  let keys: JWTVerifyGetKey;
  if (config.jwksFile) {
    try {
      keys = createLocalJWKSet(JSON.parse(await readFile(config.jwksFile, 'utf8')));
    } catch (error) {
      throw new StartupError(`GATEWAY_JWKS_FILE: cannot load ${config.jwksFile}: ${(error as Error).message}`);
    }
  } else if (config.jwksUrl) {
    keys = createRemoteJWKSet(new URL(config.jwksUrl));
  } else {
    // Stryker disable next-line StringLiteral: message text, tests assert the error's class
    throw new StartupError('no JWT verification key configured');
  }
  return async (token, options) => (await jwtVerify(token, keys, options)).payload;
}

/** The header an unsecured JWT carries, for jose's claims validation of a payload verified here. */
const UNSECURED_HEADER = Buffer.from('{"alg":"none"}').toString('base64url');

/**
 * HS256 with node:crypto's HMAC, synchronous and a few microseconds, where jose's WebCrypto one is a
 * job on the thread pool costing about a hundred (every first request of a token pays it). The
 * signature is checked over the exact header and payload, in constant time; the header must name
 * HS256 and carry no `crit` extension (jose would refuse one it does not know, and it knows only
 * `b64`, which a JWT must not use). The claims are then validated by jose itself, exactly as
 * jwtVerify would with the same options: UnsecuredJWT.decode runs the same validation, here over
 * the payload whose signature was just verified.
 */
function hs256Verifier(secret: string): Verify {
  const key = Buffer.from(secret);
  return async (token, options) => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new errors.JWSSignatureVerificationFailed();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    } catch {
      // not JSON: refused below with any other header that is not an object
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new errors.JWSInvalid();
    if ((parsed as { alg?: unknown }).alg !== 'HS256') throw new errors.JOSEAlgNotAllowed();
    if (Object.hasOwn(parsed, 'crit')) throw new errors.JOSENotSupported();
    return UnsecuredJWT.decode(`${UNSECURED_HEADER}.${payload}.`, options).payload;
  };
}

/** The principal a token names; frozen, because a cached principal is shared by its token's requests. */
function principalOf(payload: JWTPayload): Principal {
  // a string, so `sub: 777` and `sub: "777"` cannot name one principal (idempotency keys are scoped by it)
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') {
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw unauthenticated('claim "sub" must be a non-empty string');
  }
  const roles = payload.roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw unauthenticated('claim "roles" must be an array of strings');
  }
  const customerId = optionalKey(payload, 'customer_id', 'Customer');
  const institutionId = optionalKey(payload, 'institution_id', 'Institution');
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return Object.freeze({ id: payload.sub, roles: Object.freeze([...roles]), customerId, institutionId, scopes: Object.freeze(scopes) });
}

/** `customer_id` and `institution_id` are the API's global ids; a malformed one is not trusted. */
function optionalKey(payload: JWTPayload, name: 'customer_id' | 'institution_id', type: 'Customer' | 'Institution'): string | undefined {
  const claim = payload[name];
  if (claim === undefined) return undefined;
  const parsed = typeof claim === 'string' ? parseGlobalId(claim) : undefined;
  if (!parsed || parsed.type !== type) {
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    throw unauthenticated(`claim "${name}" is not a ${type} id`);
  }
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
