import { Kind } from 'graphql';
import { clientError } from '../src/errors.ts';
import { builder } from './builder.ts';

const DECIMAL = /^(0|[1-9]\d{0,15})(\.\d{1,2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Money and quantities: a non-negative decimal string with at most 2 decimals, below 10^16. A JS
 * number never carries money, so numeric literals are refused too.
 */
builder.scalarType('Decimal', {
  description: 'A decimal string with at most 2 decimals, e.g. "50000.00"; never a float',
  serialize: (value) => String(value),
  parseValue: (value) => parseDecimal(value),
  parseLiteral: (node) => parseDecimal(node.kind === Kind.STRING ? node.value : undefined),
});

// Scalars do not know which argument they parse; the gateway names it from graphql-js's error path.
const invalid = (message: string) => clientError('BAD_USER_INPUT', message);

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string') throw invalid('must be a decimal string such as "100.00"');
  if (!DECIMAL.test(value)) throw invalid('must be a non-negative decimal with at most 2 decimals, below 10^16');
  return value;
}

builder.scalarType('Date', {
  description: 'A calendar date, "2026-11-29"',
  serialize: (value) => String(value),
  parseValue: (value) => parseDate(value),
  parseLiteral: (node) => parseDate(node.kind === Kind.STRING ? node.value : undefined),
});

function parseDate(value: unknown): string {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  const date = match ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) throw invalid('must be a date, YYYY-MM-DD');
  return value as string;
}

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 with offset, e.g. "2026-11-29T08:00:00+08:00"',
  serialize: (value) => (value instanceof Date ? value : new Date(String(value))).toISOString(),
  parseValue: (value) => parseDateTime(value),
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalid('must be ISO 8601 with an offset, e.g. 2026-11-29T08:00:00+08:00');
  return date;
}

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
});
