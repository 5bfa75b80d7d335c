import { badInput } from '../errors.ts';

/** Relay pagination arguments. */
export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** One page of rows, ordered by key, and how to count all rows the page was cut from. */
export interface Page<T extends { id: string }> {
  rows: T[];
  hasNextPage: boolean;
  /** Counted only when a client asks for totalCount. */
  totalCount: () => Promise<number>;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `first` checked against the limits; a larger page is refused, never silently truncated. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (first < 0 || first > MAX_PAGE_SIZE) throw badInput('first', `must be between 0 and ${MAX_PAGE_SIZE}`);
  return first;
}

/** Cursors are opaque to clients: base64url of the row key they follow. */
export const toCursor = (key: string): string => Buffer.from(`cursor:${key}`).toString('base64url');

/** The row key a cursor points at; `BAD_USER_INPUT` on anything we did not issue. */
export function cursorKey(after: string | null | undefined): string | undefined {
  if (after === null || after === undefined) return undefined;
  const key = /^cursor:([1-9]\d{0,17})$/.exec(Buffer.from(after, 'base64url').toString('utf8'))?.[1];
  if (!key || toCursor(key) !== after.replace(/=+$/, '')) throw badInput('after', 'is not a cursor from this API');
  return key;
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<T extends { id: string }>(rows: T[], limit: number, totalCount: () => Promise<number>): Page<T> {
  return { rows: rows.slice(0, limit), hasNextPage: rows.length > limit, totalCount };
}
