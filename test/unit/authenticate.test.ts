// The bearer-token checks, one claim at a time, against a fixed clock: what a token must carry and
// what it may not, judged exactly at each bound.

import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth.ts';
import { DEV_JWT_SECRET, type JwtConfig } from '../../src/config.ts';
import { toGlobalId } from '../../src/ids.ts';

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
});
