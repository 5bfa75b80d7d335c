// Amounts while generating: integer cents in a JS number (exact: every amount here is far below
// 2^53 cents, and generating millions of them in bigints would be slow), written into rows as the
// decimal strings of src/money/amount.ts. And amounts as people choose them: spread over orders of
// magnitude, mostly round figures.

import { formatCents, toCents } from '../../money/amount.ts';
import type { Random } from '../random.ts';

/** The decimal string a row carries: 123456 → '1234.56'. */
export function decimal(cents: number): string {
  return formatCents(BigInt(cents));
}

/** Integer cents of a row's decimal string: '1000.5' → 100050. */
export function centsOf(amount: string): number {
  return Number(toCents(amount));
}

/** An amount between the two, uniform in its order of magnitude. */
export function logUniform(rng: Random, lowCents: number, highCents: number): number {
  return Math.round(Math.exp(rng.between(Math.log(lowCents), Math.log(highCents))));
}

/** The step people round an amount of this size to: 10 yuan, 100 yuan, … 10,000 yuan. */
export function granularity(cents: number): number {
  if (cents >= 100_000_00) return 10_000_00;
  if (cents >= 10_000_00) return 1_000_00;
  if (cents >= 1_000_00) return 100_00;
  if (cents >= 100_00) return 10_00;
  return 1_00;
}

/** Mostly a round figure, sometimes exact to the cent (a salary, a refund). */
export function realisticAmount(rng: Random, cents: number): number {
  if (rng.chance(0.15)) return Math.max(1, Math.round(cents));
  const step = granularity(cents);
  return Math.max(step, Math.round(cents / step) * step);
}

export function roundDown(cents: number, step: number): number {
  return Math.floor(cents / step) * step;
}
