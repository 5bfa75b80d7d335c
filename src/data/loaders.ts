import DataLoader from 'dataloader';
import { checkPermit, type Permit } from '../policy/permit.ts';

/** Batch loading function: one query for all keys a request level asked for. */
export type Batch<K, V> = (keys: readonly K[]) => Promise<readonly (V | Error)[]>;

/**
 * The request's DataLoaders, one per (permit, relation), so each level of a query is one SQL
 * statement however many rows it has, and rows are filtered by the permit that loaded them.
 */
export interface Loaders {
  /** The loader for `name` under `permit`; anything but a permit is refused. */
  get<K, V>(permit: Permit, name: string, load: Batch<K, V>): DataLoader<K, V, string>;
}

export function createLoaders({ batch = true }: { batch?: boolean } = {}): Loaders {
  const byPermit = new WeakMap<Permit, Map<string, DataLoader<unknown, unknown, string>>>();
  return {
    get<K, V>(permit: Permit, name: string, load: Batch<K, V>) {
      checkPermit(permit);
      let loaders = byPermit.get(permit);
      if (!loaders) byPermit.set(permit, (loaders = new Map()));
      let loader = loaders.get(name);
      if (!loader) {
        loader = new DataLoader(load as Batch<unknown, unknown>, { batch, cacheKeyFn: (key) => (typeof key === 'string' ? key : JSON.stringify(key)) });
        loaders.set(name, loader);
      }
      return loader as DataLoader<K, V, string>;
    },
  };
}
