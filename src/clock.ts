// The business day: what "today" means for same-day AML totals, licence validity and anything
// else that counts by the calendar. One clock for the whole gateway, in FINGATE_TIME_ZONE
// (Asia/Shanghai unless configured otherwise, as DESIGN.md sets).

/** The business day containing `now` in `timeZone`, as the instants of its two midnights [start, end). */
export function businessDay(now: Date, timeZone: string): { start: Date; end: Date } {
  // every movement asks; the answer changes once a day, and time-zone arithmetic is not free
  const last = lastDay.get(timeZone);
  if (last && last.start <= now && now < last.end) return last;
  const { year, month, day } = wallClock(now, timeZone);
  const found = { start: midnight(year, month, day, timeZone), end: midnight(year, month, day + 1, timeZone) };
  lastDay.set(timeZone, found);
  return found;
}

const lastDay = new Map<string, { start: Date; end: Date }>();

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date and time that clocks in `timeZone` show at `instant`. */
function wallClock(instant: Date, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  return { year: part.year!, month: part.month!, day: part.day!, hour: part.hour!, minute: part.minute!, second: part.second! };
}

/** The instant of 00:00 on a calendar date in `timeZone` (`day` may overflow into the next month). */
function midnight(year: number, month: number, day: number, timeZone: string): Date {
  const asUtc = Date.UTC(year, month - 1, day);
  // the zone's offset at a nearby instant, then once more at the result, for offset changes (DST)
  let instant = asUtc - offsetAt(new Date(asUtc), timeZone);
  instant = asUtc - offsetAt(new Date(instant), timeZone);
  return new Date(instant);
}

function offsetAt(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The calendar date (`YYYY-MM-DD`) of the business day containing `now` in `timeZone`. */
export function businessDate(now: Date, timeZone: string): string {
  // asked for every customer's age band; like the day's bounds, it changes once a day
  const last = lastDate.get(timeZone);
  if (last && last.start <= now && now < last.end) return last.date;
  const { year, month, day } = wallClock(now, timeZone);
  const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  lastDate.set(timeZone, { date, ...businessDay(now, timeZone) });
  return date;
}

const lastDate = new Map<string, { date: string; start: Date; end: Date }>();

/**
 * A business day as the calendar fact writes it: its local midnight with the zone's offset then
 * ("2026-11-30T00:00:00+08:00"), from its date and the instant it begins.
 */
export function localMidnight(date: string, start: number): string {
  const offset = Date.parse(`${date}T00:00:00Z`) - start;
  const minutes = Math.round(Math.abs(offset) / 60_000);
  return `${date}T00:00:00${offset < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The ISO weekday of a date: Monday 1 … Sunday 7. */
export const isoWeekday = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay() || 7;
