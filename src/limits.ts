import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';

/**
 * Refuses abusive documents before anything runs: depth (Relay connections take two levels each,
 * so customer → transactions → product → issuer → licenses is 10), aliases (one document must not
 * fan out into hundreds of lookups), tokens (parser blow-up) and field suggestions (schema
 * probing). Thresholds are not revealed to the caller.
 */
export function useQueryLimits(): Plugin[] {
  return [
    maxTokensPlugin({ n: 2000, exposeLimits: false }),
    maxDepthPlugin({ n: 12, flattenFragments: true, ignoreIntrospection: true, exposeLimits: false }),
    maxAliasesPlugin({ n: 20, exposeLimits: false }),
    blockFieldSuggestionsPlugin(),
  ] as Plugin[];
}
