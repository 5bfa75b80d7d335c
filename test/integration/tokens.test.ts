import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

const QUERY = `{ products(first: 1) { totalCount } }`;
const key = new TextEncoder().encode(DEV_JWT_SECRET);
const HOUR = 3600;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly these claims (no defaults added, so `iat` may be absent). */
const sign = (claims: JWTPayload) => new SignJWT({ roles: ['compliance'], ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);

let gw: TestGateway;
// the clock the gateway judges tokens by: tests move it forward instead of waiting
let clockOffsetMs = 0;
beforeAll(async () => {
  gw = await startGateway({ customers: 3, now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(() => gw?.close());

async function statusWith(token: string): Promise<{ status: number; code: string | undefined }> {
  const response = await gw.request(QUERY, { token });
  return { status: response.status, code: response.errors?.[0]?.extensions.code };
}
const accepted = { status: 200, code: undefined };
const refused = { status: 401, code: 'UNAUTHENTICATED' };

describe('token lifetime', () => {
  it.each([
    ['exp in the year 9999', () => ({ sub: 's', iat: nowSeconds(), exp: 253402300799 })],
    ['a lifetime of 24 h and one second', () => ({ sub: 's', iat: nowSeconds(), exp: nowSeconds() + 24 * HOUR + 1 })],
    ['no iat and exp more than 24 h away', () => ({ sub: 's', exp: nowSeconds() + 24 * HOUR + 60 })],
    ['iat two minutes in the future', () => ({ sub: 's', iat: nowSeconds() + 120, exp: nowSeconds() + HOUR })],
  ])('refuses a token with %s as UNAUTHENTICATED', async (_case, claims) => {
    expect(await statusWith(await sign(claims()))).toEqual(refused);
  });

  it.each([
    ['a lifetime of exactly 24 h', () => ({ sub: 's', iat: nowSeconds(), exp: nowSeconds() + 24 * HOUR })],
    ['no iat and exp an hour away', () => ({ sub: 's', exp: nowSeconds() + HOUR })],
    ['iat thirty seconds ahead of our clock (skew)', () => ({ sub: 's', iat: nowSeconds() + 30, exp: nowSeconds() + HOUR })],
  ])('accepts a token with %s', async (_case, claims) => {
    expect(await statusWith(await sign(claims()))).toEqual(accepted);
  });

  it('takes the maximum lifetime from the configuration', async () => {
    const strict = await startGateway({ customers: 0, jwt: { maxLifetime: HOUR } });
    try {
      const twoHours = await sign({ sub: 's', iat: nowSeconds(), exp: nowSeconds() + 2 * HOUR });
      const halfHour = await sign({ sub: 's', iat: nowSeconds(), exp: nowSeconds() + HOUR / 2 });
      expect((await strict.request(QUERY, { token: twoHours })).status).toBe(401);
      expect((await strict.request(QUERY, { token: halfHour })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('token subject', () => {
  it.each([
    ['an empty sub', ''],
    ['a blank sub', '   '],
    ['a numeric sub (777 and "777" must not share idempotency keys)', 777],
    ['a sub that is an object', { id: 'x' }],
  ])('refuses %s as UNAUTHENTICATED', async (_case, sub) => {
    const token = await sign({ sub: sub as string, iat: nowSeconds(), exp: nowSeconds() + HOUR });
    expect(await statusWith(token)).toEqual(refused);
  });

  it('accepts the string "777"', async () => {
    expect(await statusWith(await sign({ sub: '777', iat: nowSeconds(), exp: nowSeconds() + HOUR }))).toEqual(accepted);
  });
});

describe('verified tokens are remembered, never beyond what the token allows', () => {
  it('stops accepting a remembered token once its exp (and the clock tolerance) has passed', async () => {
    const token = await sign({ sub: 'expiring', iat: nowSeconds(), exp: nowSeconds() + 600 });
    expect(await statusWith(token)).toEqual(accepted);
    expect(await statusWith(token)).toEqual(accepted);
    clockOffsetMs = 631_000;
    try {
      expect(await statusWith(token)).toEqual(refused);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('never answers a tampered token from what it remembers of the genuine one', async () => {
    const token = await sign({ sub: 'genuine', iat: nowSeconds(), exp: nowSeconds() + HOUR });
    expect(await statusWith(token)).toEqual(accepted);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    for (const tampered of [`${header}.${payload}.${flipped}`, `${header}.${payload}.${signature.slice(0, -1)}`, `${header}.${payload}.`]) {
      expect(await statusWith(tampered), tampered).toEqual(refused);
    }
    expect(await statusWith(token)).toEqual(accepted);
  });

  it('checks the claims of a token before remembering it, so a bad one stays refused', async () => {
    const token = await sign({ sub: 'no-roles', roles: 'compliance', iat: nowSeconds(), exp: nowSeconds() + HOUR });
    expect(await statusWith(token)).toEqual(refused);
    expect(await statusWith(token)).toEqual(refused);
    const tooLong = await sign({ sub: 'long', iat: nowSeconds(), exp: nowSeconds() + 48 * HOUR });
    expect(await statusWith(tooLong)).toEqual(refused);
    expect(await statusWith(tooLong)).toEqual(refused);
  });
});
