import type { Plugin } from 'graphql-yoga';
import type { Config, IntrospectionMode } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { useCorsAllowList } from './cors.ts';
import { useIntrospectionRule } from './introspection.ts';
import { useJsonBodiesOnly } from './json-bodies.ts';
import { loadPersistedOperations, usePersistedOperationList, type PersistedOperations } from './persisted-operations.ts';

/** What the gateway accepts over HTTP besides authenticated GraphQL over a JSON POST or a GET. */
export interface TransportOptions {
  introspection: IntrospectionMode;
  /** Browser origins allowed to call (see `useCorsAllowList`); empty allows none. */
  corsOrigins: readonly string[];
  persistedOperations?: PersistedOperations | undefined;
}

/** The transport the configuration describes; the persisted operations file is read now, at start. */
export async function createTransport({ http, production }: Pick<Config, 'http' | 'production'>): Promise<TransportOptions> {
  return {
    introspection: http.introspection,
    corsOrigins: http.corsOrigins,
    persistedOperations: http.persistedOperationsFile ? await loadPersistedOperations(http.persistedOperationsFile, { only: production }) : undefined,
  };
}

/** The plugins enforcing a transport, in the order a request meets them. */
export function useTransport({ introspection, corsOrigins, persistedOperations }: TransportOptions): Plugin<GatewayContext>[] {
  return [
    useCorsAllowList(corsOrigins),
    useJsonBodiesOnly(),
    ...(persistedOperations ? [usePersistedOperationList(persistedOperations)] : []),
    useIntrospectionRule(introspection),
  ] as Plugin<GatewayContext>[];
}
