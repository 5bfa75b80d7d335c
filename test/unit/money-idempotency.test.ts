import { describe, expect, it } from 'vitest';
import { checkIdempotencyKey, fingerprint } from '../../src/money/idempotency.ts';
import { extensionsOf } from '../support/errors.ts';


describe('idempotency keys', () => {
  it.each([
    ['one character', 'k'],
    ['255 characters', 'k'.repeat(255)],
    ['a UUID', '0d3c5a4e-8f0e-4d3b-9f55-6a7c0e2b1a99'],
    ['spaces and every printable symbol', ` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`],
  ])('accepts %s', (_case, key) => {
    expect(() => checkIdempotencyKey(key)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'a\u0001b'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['a non-ASCII letter', 'schlüssel'],
    ['an emoji', 'key-🔑'],
  ])('refuses a key with %s as BAD_USER_INPUT naming input.idempotencyKey', (_case, key) => {
    expect(extensionsOf(() => checkIdempotencyKey(key))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
  });
});

describe('request fingerprints', () => {
  const input = { fromAccountKey: '1', toAccountKey: '2', amount: '10.00' };

  it('is a sha256 in hex', () => {
    expect(fingerprint('transfer', input)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order of the input fields', () => {
    expect(fingerprint('transfer', { amount: '10.00', toAccountKey: '2', fromAccountKey: '1' })).toBe(fingerprint('transfer', input));
  });

  it('differs when any field, or the operation, differs', () => {
    const base = fingerprint('transfer', input);
    expect(fingerprint('transfer', { ...input, amount: '10.01' })).not.toBe(base);
    expect(fingerprint('transfer', { ...input, toAccountKey: '3' })).not.toBe(base);
    expect(fingerprint('purchaseProduct', input)).not.toBe(base);
    expect(fingerprint('purchaseProduct', { a: true })).not.toBe(fingerprint('purchaseProduct', { a: false }));
  });

  it('cannot be confused by values that contain separators', () => {
    expect(fingerprint('t', { a: '1,b:2' })).not.toBe(fingerprint('t', { a: '1', b: '2' }));
  });
});
