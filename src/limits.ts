import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_MAX_COST, useCostLimit } from './cost.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, useRequestDeadline } from './deadline.ts';

/** The budgets of one request (`FINGATE_MAX_COST`, `FINGATE_REQUEST_TIMEOUT_MS`). */
export interface Limits {
  /** The most response values a document may ask for (src/cost.ts). @default DEFAULT_MAX_COST */
  maxCost: number;
  /** How long one query may execute (mutations run to their end). @default DEFAULT_REQUEST_TIMEOUT_MS */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = { maxCost: DEFAULT_MAX_COST, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS };

/**
 * Refuses abusive documents before anything runs: depth (Relay connections take two levels each,
 * so customer → transactions → product → issuer → licenses is 10), aliases (one document must not
 * fan out into hundreds of lookups), tokens (parser blow-up) and field suggestions (schema
 * probing), whose thresholds are not revealed to the caller; then the cost of the document with
 * its page sizes, whose estimate and limit are, so a client can shrink its pages. A query that
 * passes them all still ends at its time budget.
 */
export function useQueryLimits({ maxCost, requestTimeoutMs }: Limits = DEFAULT_LIMITS): Plugin[] {
  return [
    maxTokensPlugin({ n: 2000, exposeLimits: false }),
    maxDepthPlugin({ n: 12, flattenFragments: true, ignoreIntrospection: true, exposeLimits: false }),
    maxAliasesPlugin({ n: 20, exposeLimits: false }),
    blockFieldSuggestionsPlugin(),
    useCostLimit({ maxCost }),
    useRequestDeadline({ timeoutMs: requestTimeoutMs }),
  ] as Plugin[];
}
