// A small seeded pseudo-random generator (sfc32, seeded through the cyrb128 string hash): the same
// seed always yields the same sequence, on every platform, which is what demo data needs.
// Not for anything secret.

/** A deterministic source of random choices. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element of a weighted table, in proportion to its weight. */
  weighted<T>(table: WeightedTable<T>): T;
}

/** Choices with weights, prepared once for repeated picks (see `weightedTable`). */
export interface WeightedTable<T> {
  readonly items: readonly T[];
  /** Running totals of the weights, for a binary search. */
  readonly cumulative: readonly number[];
}

/** Prepares `[choice, weight]` pairs (weights > 0, any scale) for `Random.weighted`. */
export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  if (entries.length === 0) throw new RangeError('a weighted table needs at least one entry');
  const items: T[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [item, weight] of entries) {
    if (!(weight > 0)) throw new RangeError('weights must be positive');
    total += weight;
    items.push(item);
    cumulative.push(total);
  }
  return { items, cumulative };
}

/** A generator seeded from a string or number; equal seeds give equal sequences. */
export function createRandom(seed: string | number): Random {
  let [a, b, c, d] = cyrb128(String(seed));
  const nextUint32 = (): number => {
    // sfc32
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // the first outputs of sfc32 still show the seed's structure
  for (let i = 0; i < 15; i++) nextUint32();

  const next = (): number => nextUint32() / 4294967296;
  return {
    next,
    int(min, max) {
      // two draws so ranges wider than 2^32 stay uniform enough
      const span = max - min + 1;
      const r = span > 4294967296 ? next() + next() / 4294967296 : next();
      return min + Math.floor(r * span);
    },
    between: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted<T>({ items, cumulative }: WeightedTable<T>): T {
      const target = next() * cumulative[cumulative.length - 1]!;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! > target) hi = mid;
        else lo = mid + 1;
      }
      return items[lo]!;
    },
  };
}

/** A 128-bit hash of a string, as four 32-bit words. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A string of `count` random decimal digits. */
export function digits(rng: Random, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += String(rng.int(0, 9));
  return text;
}
