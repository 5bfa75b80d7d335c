/**
 * Row conditions: which resources of a type a principal may see or act on, as data. One condition
 * serves both checks: `matches` decides a single record in memory and `toSql` (src/db/row-filter.ts)
 * turns it into a WHERE clause for lists, so a page and its totalCount only hold permitted rows.
 */
export type Condition =
  | { readonly op: 'all' }
  | { readonly op: 'none' }
  | { readonly op: 'eq'; readonly field: string; readonly value: Scalar }
  | { readonly op: 'ne'; readonly field: string; readonly value: Scalar }
  | { readonly op: 'in'; readonly field: string; readonly value: readonly Scalar[] }
  | { readonly op: 'and' | 'or'; readonly value: readonly Condition[] }
  | { readonly op: 'not'; readonly value: Condition };

export type Scalar = string | number | boolean | null;

/** Resource attributes as the policy sees them, e.g. `{ customerId: "42", institutionId: "3" }`. */
export type Attributes = Readonly<Record<string, unknown>>;

export const ALL: Condition = { op: 'all' };
export const NONE: Condition = { op: 'none' };

export function and(conditions: readonly Condition[]): Condition {
  if (conditions.some((c) => c.op === 'none')) return NONE;
  const rest = conditions.filter((c) => c.op !== 'all');
  if (rest.length === 0) return ALL;
  return rest.length === 1 ? rest[0]! : { op: 'and', value: rest };
}

export function or(conditions: readonly Condition[]): Condition {
  if (conditions.some((c) => c.op === 'all')) return ALL;
  const rest = conditions.filter((c) => c.op !== 'none');
  if (rest.length === 0) return NONE;
  return rest.length === 1 ? rest[0]! : { op: 'or', value: rest };
}

export function not(condition: Condition): Condition {
  if (condition.op === 'all') return NONE;
  if (condition.op === 'none') return ALL;
  return { op: 'not', value: condition };
}

/**
 * Whether a record satisfies the condition. Values compare as strings, because ids and money
 * arrive from PostgreSQL as strings while policy files may write them as numbers. An attribute
 * holding a set of keys (`holderIds`) equals a value it contains, as in CASL's own matching.
 */
export function matches(condition: Condition, attributes: Attributes): boolean {
  switch (condition.op) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'eq':
      return same(attributes[condition.field], condition.value);
    case 'ne':
      return !same(attributes[condition.field], condition.value);
    case 'in':
      return condition.value.some((v) => same(attributes[condition.field], v));
    case 'and':
      return condition.value.every((c) => matches(c, attributes));
    case 'or':
      return condition.value.some((c) => matches(c, attributes));
    case 'not':
      return !matches(condition.value, attributes);
  }
}

function same(actual: unknown, expected: Scalar): boolean {
  if (Array.isArray(actual)) return actual.some((element) => same(element, expected));
  // SQL semantics: NULL equals nothing, so a missing attribute never grants access
  if (actual === null || actual === undefined || expected === null) return false;
  return String(actual) === String(expected);
}
