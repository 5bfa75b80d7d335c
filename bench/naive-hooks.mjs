// Module hooks for the benchmark's naive gateway: `node --import ./bench/naive-hooks.mjs
// src/bin/fingate.js start` runs the real gateway with bench/naive-movements.ts wherever the
// schema imports src/money/movements.ts. Registers itself on the main thread; the resolve hook runs
// on the hooks thread.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const REAL = new URL('../src/money/movements.ts', import.meta.url).href;
const NAIVE = new URL('./naive-movements.ts', import.meta.url).href;

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  // the naive module itself re-exports purchase and redeem from the real one
  if (resolved.url === REAL && context.parentURL !== NAIVE) return { ...resolved, url: NAIVE };
  return resolved;
}
