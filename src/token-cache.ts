import type { Principal } from './policy/principal.ts';

/**
 * Principals of tokens already verified, so each token's signature is checked once: a jose
 * verification costs tens of microseconds, a lookup well under one. Keyed by the whole token, so a
 * token differing in any character (another signature) is a miss; an entry is served only before
 * its token's `exp`, so a cached token is accepted exactly as long as the JWT itself.
 */
export interface TokenCache {
  /** The principal of a verified token whose `exp` (seconds since the epoch) is after `now`. */
  get(token: string, now: number): Principal | undefined;
  set(token: string, principal: Principal, exp: number): void;
}

/** A bounded cache: at `max` entries the least recently used one goes. */
export function createTokenCache(max = 10_000): TokenCache {
  // a Map iterates in insertion order: re-inserting on a hit keeps the least recently used first
  const entries = new Map<string, { principal: Principal; exp: number }>();
  return {
    get(token, now) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      entries.delete(token);
      if (entry.exp <= now) return undefined;
      entries.set(token, entry);
      return entry.principal;
    },
    set(token, principal, exp) {
      entries.delete(token);
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(token, { principal, exp });
    },
  };
}
