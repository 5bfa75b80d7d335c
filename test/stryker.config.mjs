// Mutation testing (`npm run mutate`, TESTING.md): StrykerJS changes the code of the gate, the money
// path, the database layer and token checks one small edit at a time and runs the tests that cover
// each edit; an edit no test notices is a test missing. Narrow a run with
// `npm run mutate -- --mutate 'src/money/**/*.ts'`.
// Everything Stryker writes (its sandboxes, reports, the incremental file that lets a second run
// test only what changed) goes to the system temp directory, not into the repository.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = join(tmpdir(), 'fingate-stryker');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/policy/**/*.ts', 'src/money/**/*.ts', 'src/db/**/*.ts', 'src/auth.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'test/vitest.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'test/tsconfig.mutate.json',
  // each mutant runs only the tests that executed its code in the first, full run
  coverageAnalysis: 'perTest',
  // Code that runs only while modules load, or only in a test file's beforeAll (starting a gateway,
  // migrating, seeding), is covered by no test in particular: testing such a mutant means the whole
  // suite (~10 minutes here) again. They are reported as Ignored, not counted in the score.
  ignoreStatic: true,
  // two cores: one worker each; a worker's vitest runs one test file at a time
  concurrency: 2,
  // a loaded machine is slow, not stuck: a mutant is a timeout only well past its tests' own time
  // (twice their time and 20 s more: with a minute more, each mutant that hangs a test cost over a minute)
  timeoutFactor: 2,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 90,
  incremental: true,
  incrementalFile: join(work, 'incremental.json'),
  tempDirName: join(work, 'sandboxes'),
  ignorePatterns: ['.fingate', '.scratch', 'coverage', '*.log'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: join(work, 'mutation.html') },
  jsonReporter: { fileName: join(work, 'mutation.json') },
  clearTextReporter: { allowEmojis: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 85, break: null },
};
