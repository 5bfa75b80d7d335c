// Time while generating: milliseconds since the epoch, written into rows as ISO strings. Every
// timestamp is an offset from the generator's `now`, so equal seeds and `now` give equal data.

export const MINUTE = 60_000;
export const DAY = 86_400_000;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 'YYYY-MM-DD' of the UTC day containing `ms`. */
export function isoDate(ms: number): string {
  return iso(ms).slice(0, 10);
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}
