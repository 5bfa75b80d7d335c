import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/policy/principal.ts';
import { createTokenCache } from '../../src/token-cache.ts';

const principal = (id: string): Principal => ({ id, roles: ['compliance'], scopes: [] });

describe('the cache of verified tokens', () => {
  it('serves an entry only before its exp', () => {
    const cache = createTokenCache();
    cache.set('t', principal('a'), 1000);
    expect(cache.get('t', 999.9)?.id).toBe('a');
    expect(cache.get('t', 1000)).toBeUndefined();
    expect(cache.get('t', 999)).toBeUndefined(); // an expired entry is gone, not resurrected by a skewed clock
  });

  it('matches whole tokens only', () => {
    const cache = createTokenCache();
    cache.set('header.payload.signature', principal('a'), 2000);
    expect(cache.get('header.payload.signatur', 1000)).toBeUndefined();
    expect(cache.get('header.payload.signature2', 1000)).toBeUndefined();
    expect(cache.get('header.payload.', 1000)).toBeUndefined();
  });

  it('holds at most its bound, dropping the least recently used entry', () => {
    const cache = createTokenCache(2);
    cache.set('a', principal('a'), 2000);
    cache.set('b', principal('b'), 2000);
    cache.get('a', 1000);
    cache.set('c', principal('c'), 2000);
    expect(cache.get('b', 1000)).toBeUndefined();
    expect(cache.get('a', 1000)?.id).toBe('a');
    expect(cache.get('c', 1000)?.id).toBe('c');
  });
});
