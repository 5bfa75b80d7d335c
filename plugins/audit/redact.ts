// What of a decision's input may go into a record: ids, classes, codes, amounts and instants.
// Two rules, so that one failing does not leak: attributes the policy names (`neverRecord`:
// name, idNumber, phone…) are redacted whatever their value, and so is every string that does
// not look like an id, a code, an amount or an instant (names, e-mail and postal addresses, free
// text). Digits alone look like ids, so identity, phone and card numbers rest on the first rule.

export const REDACTED = '[redacted]';

/** Ids, enum values, amounts, instants, module@version: nothing with spaces, '@' or non-ASCII. */
const SAFE_STRING = /^(?:[A-Za-z0-9_.:+\-/]{0,128}|[a-z][a-z0-9-]*@[1-9]\d*)$/;

/** `value` with personal values replaced by "[redacted]" (a new value; the input is not changed). */
export function redact(value: unknown, never: ReadonlySet<string>): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value ?? null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return SAFE_STRING.test(value) ? value : REDACTED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redact(v, never));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = never.has(key) ? REDACTED : redact(v, never);
    return out;
  }
  return REDACTED;
}

/** A value the client chose (request id, purpose) kept only when it is a safe identifier. */
export function safeLabel(value: string | null, fallback: string): string {
  return value !== null && /^[A-Za-z0-9_.:-]{1,128}$/.test(value) ? value : fallback;
}
