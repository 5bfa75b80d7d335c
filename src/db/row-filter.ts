import type { Fragment } from 'postgres';
import type { Condition, Scalar } from '../policy/condition.ts';
import type { Sql } from './database.ts';

/**
 * SQL expressions for a resource's attributes, e.g. `{ customerId: 'c.id' }`. Written in code
 * (never from policy files), so they may be spliced in as SQL text. Attributes named `id` or
 * `…Id` are bigint keys; attributes named `…Ids` are sets of them (a `bigint[]` expression, equal
 * to any key it contains); the rest compare as text. A large set is better written as a membership
 * test, `{key}` standing for the keys asked about (`exists(select 1 from t where t.customer_id = {key})`):
 * PostgreSQL then looks the keys up instead of building the whole set for every query.
 */
export type Columns = Readonly<Record<string, string>>;

/**
 * The WHERE clause for a row condition. Two-valued like `matches` (a NULL column never equals
 * anything and never grants access), which a property test holds the two to. Made once per
 * condition: a fragment is text and values only, never executed by itself, so every statement
 * under the same permit (and every request under the same cached decision) splices in the same one.
 */
export function toSql(sql: Sql, condition: Condition, columns: Columns): Fragment {
  let byColumns = made.get(condition);
  if (!byColumns) made.set(condition, (byColumns = new WeakMap()));
  let fragment = byColumns.get(columns);
  if (!fragment) byColumns.set(columns, (fragment = build(sql, condition, columns)));
  return fragment;
}

const made = new WeakMap<Condition, WeakMap<Columns, Fragment>>();

function build(sql: Sql, condition: Condition, columns: Columns): Fragment {
  switch (condition.op) {
    case 'all':
      return sql`true`;
    case 'none':
      return sql`false`;
    case 'eq':
    case 'ne': {
      const [value] = comparable(condition.field, [condition.value]);
      const col = column(sql, columns, condition.field);
      if (isKeySet(condition.field)) {
        const contains = value === undefined ? sql`false` : (member(sql, columns, condition.field, [value]) ?? sql`coalesce(${value}::bigint = any(${col}), false)`);
        return condition.op === 'eq' ? contains : sql`(not ${contains})`;
      }
      if (condition.op === 'eq') return value === undefined ? sql`false` : sql`(${col} is not distinct from ${value})`;
      return value === undefined ? sql`true` : sql`(${col} is distinct from ${value})`;
    }
    case 'in': {
      const values = comparable(condition.field, condition.value);
      const col = column(sql, columns, condition.field);
      if (values.length === 0) return sql`false`;
      if (isKeySet(condition.field)) return member(sql, columns, condition.field, values) ?? sql`coalesce(${col} && ${values}::bigint[], false)`;
      return isKey(condition.field)
        ? sql`coalesce(${col} = any(${values}::bigint[]), false)`
        : sql`coalesce(${col} = any(${values}::text[]), false)`;
    }
    case 'and':
    case 'or': {
      const joiner = condition.op === 'and' ? sql` and ` : sql` or `;
      const parts = condition.value.map((c) => build(sql, c, columns));
      return sql`(${parts.reduce((acc, part) => sql`${acc}${joiner}${part}`)})`;
    }
    case 'not':
      return sql`(not ${build(sql, condition.value, columns)})`;
  }
}

const isKey = (field: string) => field === 'id' || field.endsWith('Id');
const isKeySet = (field: string) => field.endsWith('Ids');

/** The values a column can equal: never NULL, and only integers for bigint keys and their sets. */
function comparable(field: string, values: readonly Scalar[]): string[] {
  const strings = values.filter((v) => v !== null).map(String);
  return isKey(field) || isKeySet(field) ? strings.filter((v) => /^(0|-?[1-9]\d{0,17})$/.test(v)) : strings;
}

const KEY = '{key}';

/** Whether a key set written as a membership test holds any of `values`; undefined for one written as an array. */
function member(sql: Sql, columns: Columns, field: string, values: readonly string[]): Fragment | undefined {
  const expression = columns[field]!;
  const at = expression.indexOf(KEY);
  if (at < 0) return undefined;
  const [before, after] = [expression.slice(0, at), expression.slice(at + KEY.length)];
  return sql`coalesce(${sql.unsafe(before) as unknown as Fragment}any(${values as string[]}::bigint[])${sql.unsafe(after) as unknown as Fragment}, false)`;
}

function column(sql: Sql, columns: Columns, field: string): Fragment {
  const expression = columns[field];
  // unreachable for validated policies; refusing beats guessing a column
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  if (expression === undefined) throw new Error(`no column for attribute "${field}"`);
  return sql.unsafe(expression) as unknown as Fragment;
}
