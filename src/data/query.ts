import type { Fragment } from 'postgres';
import type { Sql } from '../db/database.ts';
import { toSql } from '../db/row-filter.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import { resources, type ResourceType } from '../resources.ts';
import { cursorKey, pageSize, toPage, type Page, type PageArgs } from './page.ts';

/** `from <table> <alias>` for a resource. */
export function from(sql: Sql, resource: ResourceType): Fragment {
  return once(`from ${resource}`, () => sql`${sql(resources[resource].table)} ${sql(resources[resource].alias)}`);
}

/** A resource's alias, as SQL. */
function aliasOf(sql: Sql, resource: ResourceType): Fragment {
  return once(`alias ${resource}`, () => sql.unsafe(resources[resource].alias) as unknown as Fragment);
}

const TRUE = 'true';

// Fragments without values (names, `true`), made once: a fragment is only text until it is
// spliced into a statement, whichever client makes it, and every client is made by createClient.
const fragments = new Map<string, Fragment>();

function once(key: string, make: () => Fragment): Fragment {
  let fragment = fragments.get(key);
  if (!fragment) fragments.set(key, (fragment = make()));
  return fragment;
}

/**
 * The permit's row condition as SQL on its resource's alias. Every read of a resource's rows goes
 * through here, so this is where anything that is not a permit (for `resource`, when given) is refused.
 */
export function permitted(sql: Sql, permit: Permit, resource?: ResourceType): Fragment {
  checkPermit(permit, resource);
  return toSql(sql, permit.rows, resources[permit.resource].columns);
}

/** `a and b and …`, or `true` when there is nothing to join. */
export function all(sql: Sql, conditions: Fragment[]): Fragment {
  return conditions.length === 0 ? once(TRUE, () => sql`true`) : conditions.reduce((acc, c) => sql`${acc} and ${c}`);
}

/**
 * Rows of the permit's resource by key, in the order of `keys`; `null` where a row does not exist
 * or the permit does not cover it (the two are indistinguishable to the caller on purpose).
 */
export async function byKeys<T extends { id: string }>(sql: Sql, permit: Permit, keys: readonly string[], where: Fragment[] = []): Promise<(T | null)[]> {
  checkPermit(permit);
  const alias = aliasOf(sql, permit.resource);
  const rows = await sql<T[]>`
    select ${alias}.* from ${from(sql, permit.resource)}
     where ${alias}.id = any(${keys as string[]}::bigint[]) and ${all(sql, [permitted(sql, permit), ...where])}`;
  const found = new Map(rows.map((row) => [row.id, row]));
  return keys.map((key) => found.get(key) ?? null);
}

/** Options of a paginated list of the permit's resource. */
export interface ListOptions {
  /** Extra conditions (the client's filter), on the resource's alias. */
  where?: Fragment[];
  /** Newest first for ledgers and logs. @default "asc" */
  order?: 'asc' | 'desc';
}

/** A page of permitted rows, keyset-paginated on id; totalCount counts permitted rows only. */
export async function list<T extends { id: string }>(sql: Sql, permit: Permit, args: PageArgs, { where = [], order = 'asc' }: ListOptions = {}): Promise<Page<T>> {
  checkPermit(permit);
  const limit = pageSize(args.first);
  const after = cursorKey(args.after);
  const alias = aliasOf(sql, permit.resource);
  const conditions = all(sql, [permitted(sql, permit), ...where]);
  const keyset = after === undefined ? once(TRUE, () => sql`true`) : order === 'asc' ? sql`${alias}.id > ${after}` : sql`${alias}.id < ${after}`;
  const rows = limit === 0 ? [] : await sql<T[]>`
    select ${alias}.* from ${from(sql, permit.resource)}
     where ${conditions} and ${keyset}
     order by ${alias}.id ${order === 'asc' ? sql`asc` : sql`desc`}
     limit ${limit + 1}`;
  return toPage([...rows], limit, async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${from(sql, permit.resource)} where ${conditions}`;
    return row!.n;
  });
}

/** Rows grouped under the keys that asked for them (for one-to-many batch loads). */
export function groupBy<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string | null): T[][] {
  const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const row of rows) {
    const key = keyOf(row);
    if (key !== null) groups.get(key)?.push(row);
  }
  return keys.map((key) => groups.get(key)!);
}
