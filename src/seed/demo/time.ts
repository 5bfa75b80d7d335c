// Time while generating: milliseconds since the epoch, written into rows as ISO strings. Every
// timestamp is an offset from the generator's `now`, so equal seeds and `now` give equal data.

import { businessDate, businessDay } from '../../clock.ts';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** The ISO string a row carries for an instant. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 'YYYY-MM-DD' of the UTC day containing `ms`. */
export function isoDate(ms: number): string {
  return iso(ms).slice(0, 10);
}

/** Midnight UTC of the day containing `date`: the default end of the demo's history. */
export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** A business day (src/clock.ts, FINGATE_TIME_ZONE): its calendar date and the instants (ms) it spans. */
export interface BusinessDay {
  date: string;
  start: number;
  end: number;
}

/**
 * The business day containing an instant, in `timeZone`. Remembered per UTC day: a demo asks
 * hundreds of thousands of times, about a few hundred days.
 */
export function businessDays(timeZone: string): (at: number) => BusinessDay {
  const dayOf = (at: number): BusinessDay => {
    const { start, end } = businessDay(new Date(at), timeZone);
    return { date: businessDate(new Date(at), timeZone), start: start.getTime(), end: end.getTime() };
  };
  const byUtcDay = new Map<number, readonly [BusinessDay, BusinessDay]>();
  return (at) => {
    const utcDay = Math.floor(at / DAY);
    let days = byUtcDay.get(utcDay);
    if (!days) {
      days = [dayOf(utcDay * DAY), dayOf(utcDay * DAY + DAY - 1)];
      byUtcDay.set(utcDay, days);
    }
    const [first, last] = days;
    if (at < first.end) return first;
    if (at >= last.start) return last;
    // a business day shorter than a day (a clock change) inside this UTC day
    return dayOf(at);
  };
}
