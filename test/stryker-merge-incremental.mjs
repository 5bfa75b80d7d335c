// Merges the incremental reports of Stryker runs over chunks of files into one, so a run over all
// of them re-tests only what changed since each chunk ran (TESTING.md, "Mutation testing").
//
//   node test/stryker-merge-incremental.mjs [--retest-survivors] <merged.json> <base.json> [<chunk.json>=<file>,<file>…]…
//
// The base report gives the test files (use the newest); each chunk report gives the mutants of the
// files listed after it. Test ids are numbers per report, so a chunk's are mapped by test file and
// name; a test the base does not know is dropped (its mutants are then re-tested).
//
// Stryker re-tests a surviving mutant only when a test new by name covers it: one that a changed
// helper or fixture now kills keeps its old result. `--retest-survivors` leaves survivors out of
// the merged report, so the next run tests them again.
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const retestSurvivors = args[0] === '--retest-survivors';
const [out, basePath, ...chunks] = retestSurvivors ? args.slice(1) : args;
if (!out || !basePath) {
  console.error('usage: node test/stryker-merge-incremental.mjs [--retest-survivors] <merged.json> <base.json> [<chunk.json>=<file>,<file>…]…');
  process.exit(2);
}
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
const base = read(basePath);
const key = (file, name) => `${file}\0${name}`;
const idByTest = new Map(Object.entries(base.testFiles).flatMap(([file, { tests }]) => tests.map((t) => [key(file, t.name), t.id])));

for (const chunk of chunks) {
  const [path, files = ''] = chunk.split('=');
  const report = read(path);
  const testById = new Map(Object.entries(report.testFiles).flatMap(([file, { tests }]) => tests.map((t) => [t.id, key(file, t.name)])));
  const remap = (ids) => ids?.map((id) => idByTest.get(testById.get(id))).filter((id) => id !== undefined);
  for (const file of files.split(',').filter(Boolean)) {
    if (!report.files[file]) throw new Error(`${path} has no mutants of ${file}`);
    base.files[file] = {
      ...report.files[file],
      mutants: report.files[file].mutants.map((m) => ({ ...m, coveredBy: remap(m.coveredBy), killedBy: remap(m.killedBy) })),
    };
  }
}
if (retestSurvivors) for (const file of Object.values(base.files)) file.mutants = file.mutants.filter((m) => m.status !== 'Survived');
// mutant ids are per report too: number them again
let id = 0;
for (const file of Object.values(base.files)) for (const mutant of file.mutants) mutant.id = String(id++);
writeFileSync(out, JSON.stringify(base));
console.log(`${out}: ${id} mutants of ${Object.keys(base.files).length} files`);
