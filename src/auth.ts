import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey, type JWTPayload } from 'jose';
import type { JwtConfig } from './config.ts';
import { clientError, StartupError } from './errors.ts';
import { parseGlobalId } from './ids.ts';
import type { Principal } from './policy/principal.ts';

/** Turns a request's bearer token into a principal, or throws `UNAUTHENTICATED`. */
export type Authenticate = (request: Request) => Promise<Principal>;

const HMAC_ALGORITHMS = ['HS256'];
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Builds the verifier once at start-up: a JWKS file that cannot be read stops the start. */
export async function createAuthenticator(config: JwtConfig): Promise<Authenticate> {
  const key = await verificationKey(config);
  const options = {
    // pinned, so a token cannot choose its own algorithm (RFC 8725 §3.1); jose never accepts "none"
    algorithms: config.secret ? HMAC_ALGORITHMS : PUBLIC_KEY_ALGORITHMS,
    requiredClaims: ['sub', 'exp'],
    clockTolerance: 30,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  return async (request) => {
    const header = request.headers.get('authorization');
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/.exec(header ?? '')?.[1];
    if (!token) throw unauthenticated(header ? 'malformed Authorization header' : 'missing bearer token');
    let payload: JWTPayload;
    try {
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw unauthenticated(`invalid token (${(error as { code?: string }).code ?? 'unverifiable'})`);
    }
    return principalOf(payload);
  };
}

async function verificationKey(config: JwtConfig): Promise<Uint8Array | JWTVerifyGetKey> {
  if (config.secret) return new TextEncoder().encode(config.secret);
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

function principalOf(payload: JWTPayload): Principal {
  const roles = payload.roles;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw unauthenticated('claim "roles" must be an array of strings');
  const customerId = optionalKey(payload.customer_id, 'Customer', 'customer_id');
  const institutionId = optionalKey(payload.institution_id, 'Institution', 'institution_id');
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return { id: payload.sub!, roles, customerId, institutionId, scopes };
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
