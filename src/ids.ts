import { badInput } from './errors.ts';

/** The object types that have global ids. */
export const NODE_TYPES = ['Customer', 'Account', 'Institution', 'Product', 'Transaction', 'RiskAlert', 'Disclosure', 'AuditEvent'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** A database key: a positive bigint as a decimal string. */
const KEY = /^[1-9]\d{0,17}$/;

/** The opaque global id of a row: base64url of `Type:key`. */
export function toGlobalId(type: NodeType, key: string | number | bigint): string {
  return Buffer.from(`${type}:${key}`).toString('base64url');
}

/** Decodes any global id; `undefined` when it is not one of ours. */
export function parseGlobalId(id: string): { type: NodeType; key: string } | undefined {
  if (id.length > 64 || !/^[A-Za-z0-9_-]+={0,2}$/.test(id)) return undefined;
  const [type, key, ...rest] = Buffer.from(id, 'base64url').toString('utf8').split(':');
  if (rest.length > 0 || !key || !KEY.test(key) || !(NODE_TYPES as readonly string[]).includes(type!)) return undefined;
  return { type: type as NodeType, key };
}

/**
 * The database key behind a global id of the expected type. A malformed id, or one of another
 * type, is `BAD_USER_INPUT` naming the argument.
 */
export function keyOf(id: string, type: NodeType, field = 'id'): string {
  const parsed = parseGlobalId(id);
  if (!parsed) throw badInput(field, 'is not a valid id');
  if (parsed.type !== type) throw badInput(field, `is not a ${type} id`);
  return parsed.key;
}
