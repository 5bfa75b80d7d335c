// Money as integer cents in a bigint between the decimal strings that come in and go out. A JS
// number never holds an amount: 0.1 + 0.2 is not 0.3, and balances exceed 2^53 cents in principle.

const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Integer cents of a decimal string with at most two places ("12.3" → 1230n, "-0.05" → -5n), as
 * PostgreSQL `numeric` and the Decimal scalar write them. Throws on anything else.
 */
export function toCents(decimal: string): bigint {
  const match = DECIMAL.exec(decimal);
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (!match) throw new Error(`not a decimal amount: ${JSON.stringify(decimal)}`);
  const [, sign, units, fraction = ''] = match;
  const cents = BigInt(units!) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign ? -cents : cents;
}

/** The decimal string of integer cents, always with two places: 1230n → "12.30", -5n → "-0.05". */
export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** The canonical form of a decimal amount: "100" and "100.0" are both "100.00". */
export const canonicalAmount = (decimal: string): string => formatCents(toCents(decimal));
