import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 ships CJS (main) and ESM (module); Node loads the CJS one for our dependencies, so
  // the tests must too, or graphql-js sees two realms
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // each integration file owns a database; two cores do not gain from more workers
    maxWorkers: 2,
  },
});
