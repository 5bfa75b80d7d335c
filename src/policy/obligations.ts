import { and } from './condition.ts';
import type { Mask } from './masks.ts';
import type { Obligations } from './types.ts';

/*
 * How the obligations of several modules combine into one decision's: each kind has one rule,
 * kept here as data so a new kind is one entry. Rows must satisfy every module; hidden fields,
 * confirmations and alerts add up; masks merge most-restrictive-wins; and a hidden field is not
 * also masked (hide beats mask).
 */

type Merge<K extends keyof Obligations> = (a: NonNullable<Obligations[K]>, b: NonNullable<Obligations[K]>) => NonNullable<Obligations[K]>;

const rules: { [K in keyof Required<Obligations>]: Merge<K> } = {
  rows: (a, b) => and([a, b]),
  hide: (a, b) => [...new Set([...a, ...b])],
  mask: (a, b) => {
    const out: Record<string, Mask> = { ...a };
    for (const [field, mask] of Object.entries(b)) out[field] = out[field] ? stricter(out[field], mask) : mask;
    return out;
  },
  confirm: (a, b) => [...a, ...b],
  alerts: (a, b) => [...a, ...b],
};

/** The obligations of several modules together. */
export function mergeObligations(all: readonly Obligations[]): Obligations {
  const out: Record<string, unknown> = {};
  for (const obligations of all) {
    for (const [kind, value] of Object.entries(obligations) as [keyof Obligations, never][]) {
      if (value === undefined) continue;
      out[kind] = out[kind] === undefined ? value : (rules[kind] as Merge<typeof kind>)(out[kind] as never, value);
    }
  }
  const merged = out as Obligations;
  if (merged.hide?.length && merged.mask) {
    const mask = Object.fromEntries(Object.entries(merged.mask).filter(([field]) => !merged.hide!.includes(field)));
    return { ...merged, mask };
  }
  return merged;
}

/** The mask that shows less: the fewest characters kept at either end. */
function stricter(a: Mask, b: Mask): Mask {
  return { keepStart: Math.min(a.keepStart, b.keepStart), keepEnd: Math.min(a.keepEnd, b.keepEnd) };
}
