import { describe, expect, it } from 'vitest';
import { canonicalAmount, formatCents, toCents } from '../../src/money/amount.ts';

describe('amounts as integer cents', () => {
  it.each([
    ['0', 0n],
    ['0.1', 10n],
    ['0.10', 10n],
    ['12.3', 1230n],
    ['-0.05', -5n],
    ['9999999999999999.99', 999999999999999999n],
    ['123456789012345678.90', 12345678901234567890n],
  ])('reads %s as %s cents, exactly', (decimal, cents) => {
    expect(toCents(decimal)).toBe(cents);
  });

  it.each(['', '1.001', '1e3', 'NaN', ' 1', '1,00', '.5', '-', '0x10', 'Infinity'])('refuses %j', (decimal) => {
    expect(() => toCents(decimal)).toThrow();
  });

  it.each([
    [0n, '0.00'],
    [5n, '0.05'],
    [-5n, '-0.05'],
    [1230n, '12.30'],
    [-123456n, '-1234.56'],
    [12345678901234567890n, '123456789012345678.90'],
  ])('writes %s cents as %s', (cents, decimal) => {
    expect(formatCents(cents)).toBe(decimal);
  });

  it('adds what floats cannot: 0.1 + 0.2 is 0.30', () => {
    expect(formatCents(toCents('0.1') + toCents('0.2'))).toBe('0.30');
  });

  it('writes one amount one way: "100", "100.0" and "100.00" are the same request', () => {
    expect(new Set(['100', '100.0', '100.00'].map(canonicalAmount))).toEqual(new Set(['100.00']));
  });
});
