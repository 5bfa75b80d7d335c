// Amounts as people choose them, in integer cents (a JS number: exact far beyond any balance here):
// spread over orders of magnitude, mostly round figures.

import type { Random } from '../random.ts';

/** Integer cents as a decimal string with two places: 123456 → '1234.56', -5 → '-0.05'. */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError('cents must be a safe integer');
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A decimal string with at most two places ('1000', '0.5', '12.34') as integer cents. */
export function parseCents(amount: string): number {
  const match = /^(-?)([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(amount);
  if (!match) throw new RangeError(`not a money amount: ${amount}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** '1,234,567.89' */
export function formatYuan(cents: number): string {
  const [whole, fraction] = formatCents(cents).split('.') as [string, string];
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
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
