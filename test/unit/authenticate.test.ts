// The bearer-token checks, one claim at a time, against a fixed clock: what a token must carry and
// what it may not, judged exactly at each bound.

import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, mintToken } from '../../src/auth.ts';
import { DEV_JWT_SECRET, type JwtConfig } from '../../src/config.ts';
import { StartupError } from '../../src/errors.ts';
import { toGlobalId } from '../../src/ids.ts';
import { temporaryDir } from '../support/temp.ts';

const NOW = new Date('2026-11-29T02:00:00Z');
const SECONDS = NOW.getTime() / 1000;
const config: JwtConfig = { secret: DEV_JWT_SECRET, devSecret: true, jwksUrl: undefined, jwksFile: undefined, issuer: undefined, audience: undefined };
const authenticate = await createAuthenticator(config, { now: () => NOW });

/** An HS256 token with exactly these claims (none added). */
const sign = (claims: JWTPayload) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(DEV_JWT_SECRET));
const claims = (more: JWTPayload = {}): JWTPayload => ({ sub: 'u-1', roles: ['compliance'], iat: SECONDS, exp: SECONDS + 3600, ...more });
const request = (authorization: string) => new Request('http://fingate.test/graphql', { headers: { authorization } });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (error: { extensions?: { code?: string } }) => error.extensions?.code);

describe('a bearer token', () => {
  it('is accepted with sub, roles, iat and exp, and names its principal', async () => {
    const principal = await authenticate(request(`Bearer ${await sign(claims({ scope: '  customers:read   transactions:read ' }))}`));
    expect(principal).toEqual({ id: 'u-1', roles: ['compliance'], customerId: undefined, institutionId: undefined, scopes: ['customers:read', 'transactions:read'] });
  });

  it('is refused without exp, even though its signature is good', async () => {
    const { exp: _exp, ...rest } = claims();
    expect(await codeOf(authenticate(request(`Bearer ${await sign(rest)}`)))).toBe('UNAUTHENTICATED');
  });

  it('is refused unless the header is exactly "Bearer <token>"', async () => {
    const token = await sign(claims());
    expect(await codeOf(authenticate(new Request('http://fingate.test/graphql')))).toBe('UNAUTHENTICATED');
    for (const header of [`Basic Bearer ${token}`, `Bearer ${token} x`, `bearer${token}`]) {
      expect(await codeOf(authenticate(request(header))), header).toBe('UNAUTHENTICATED');
    }
  });

  it('may be issued up to 60 s in the future (clock skew), not a second more', async () => {
    expect(await codeOf(authenticate(request(`Bearer ${await sign(claims({ iat: SECONDS + 60 }))}`)))).toBe('accepted');
    expect(await codeOf(authenticate(request(`Bearer ${await sign(claims({ iat: SECONDS + 61 }))}`)))).toBe('UNAUTHENTICATED');
  });

  it('lives 24 hours at most, counted from iat', async () => {
    expect(await codeOf(authenticate(request(`Bearer ${await sign(claims({ exp: SECONDS + 86_400 }))}`)))).toBe('accepted');
    expect(await codeOf(authenticate(request(`Bearer ${await sign(claims({ exp: SECONDS + 86_401 }))}`)))).toBe('UNAUTHENTICATED');
  });

  it('is refused when any of its roles is not a string', async () => {
    expect(await codeOf(authenticate(request(`Bearer ${await sign(claims({ roles: ['customer', 5] }))}`)))).toBe('UNAUTHENTICATED');
  });

  it('names a customer only by a Customer id, and no customer when it names none', async () => {
    const customer = await authenticate(request(`Bearer ${await sign(claims({ roles: ['customer'], customer_id: toGlobalId('Customer', '7') }))}`));
    expect(customer.customerId).toBe('7');
    const wrongType = sign(claims({ roles: ['customer'], customer_id: toGlobalId('Institution', '7') }));
    expect(await codeOf(authenticate(request(`Bearer ${await wrongType}`)))).toBe('UNAUTHENTICATED');
  });

  it('names an institution only by an Institution id, and carries no scopes when it names none', async () => {
    const staff = await authenticate(request(`Bearer ${await sign(claims({ roles: ['advisor'], institution_id: toGlobalId('Institution', '3') }))}`));
    expect(staff).toMatchObject({ institutionId: '3', customerId: undefined, scopes: [] });
    const wrongType = sign(claims({ roles: ['advisor'], institution_id: toGlobalId('Customer', '3') }));
    expect(await codeOf(authenticate(request(`Bearer ${await wrongType}`)))).toBe('UNAUTHENTICATED');
  });

  it('is verified once: a second request with it gets the very principal of the first', async () => {
    const header = `Bearer ${await sign(claims({ sub: 'u-cached' }))}`;
    const first = await authenticate(request(header));
    expect(await authenticate(request(header))).toBe(first);
  });

  it('is refused when its HMAC-signed header is not a JSON object', async () => {
    const hmacSigned = (header: string) => {
      const signed = `${Buffer.from(header).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
      return `${signed}.${createHmac('sha256', DEV_JWT_SECRET).update(signed).digest('base64url')}`;
    };
    for (const header of ['not json', '["HS256"]', 'null']) {
      expect(await codeOf(authenticate(request(`Bearer ${hmacSigned(header)}`))), header).toBe('UNAUTHENTICATED');
    }
  });

  it('must come from the configured issuer for the configured audience', async () => {
    const strict = await createAuthenticator({ ...config, issuer: 'https://idp.test', audience: 'fingate' }, { now: () => NOW });
    const judge = async (more: JWTPayload) => codeOf(strict(request(`Bearer ${await sign(claims(more))}`)));
    expect(await judge({ iss: 'https://idp.test', aud: 'fingate' })).toBe('accepted');
    expect(await judge({ iss: 'https://other.test', aud: 'fingate' })).toBe('UNAUTHENTICATED');
    expect(await judge({ iss: 'https://idp.test', aud: 'another-api' })).toBe('UNAUTHENTICATED');
  });
});

describe('a development token', () => {
  it('is an HS256 JWT by its header', async () => {
    const token = await mintToken(DEV_JWT_SECRET, { sub: 'dev', roles: ['compliance'] });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
  });
});

describe('the verification keys', () => {
  const keyless: JwtConfig = { ...config, secret: undefined, devSecret: false };
  const keyPair = generateKeyPair('ES256');
  const jwks = keyPair.then(async ({ publicKey }) => ({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  const es256 = async () => new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign((await keyPair).privateKey);

  it('may be a JWKS file: tokens signed with its keys pass, HS256 ones with the development secret do not', async () => {
    const file = join(await temporaryDir('fingate-jwks'), 'jwks.json');
    await writeFile(file, JSON.stringify(await jwks));
    const fromFile = await createAuthenticator({ ...keyless, jwksFile: file }, { now: () => NOW });
    expect(await codeOf(fromFile(request(`Bearer ${await es256()}`)))).toBe('accepted');
    expect(await codeOf(fromFile(request(`Bearer ${await sign(claims())}`)))).toBe('UNAUTHENTICATED');
  });

  it('stop the start with a StartupError naming GATEWAY_JWKS_FILE when that file cannot be read', async () => {
    const missing = join(await temporaryDir('fingate-jwks'), 'absent.json');
    await expect(createAuthenticator({ ...keyless, jwksFile: missing })).rejects.toThrow(StartupError);
    await expect(createAuthenticator({ ...keyless, jwksFile: missing })).rejects.toThrow('GATEWAY_JWKS_FILE');
  });

  it('may be a JWKS served over HTTP', async () => {
    const body = JSON.stringify(await jwks);
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
      const remote = await createAuthenticator({ ...keyless, jwksUrl: url }, { now: () => NOW });
      expect(await codeOf(remote(request(`Bearer ${await es256()}`)))).toBe('accepted');
    } finally {
      server.close();
    }
  });

  it('must be configured: without a secret or a JWKS there is no start', async () => {
    await expect(createAuthenticator(keyless)).rejects.toThrow(StartupError);
  });
});
