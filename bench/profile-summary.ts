// Summarizes a V8 CPU profile (`node --cpu-prof`, e.g. from `bench/http-floor.ts --profile fingate`):
// the share of busy time (idle excluded) by where the code lives — a package, a folder of the
// project, Node's internals, the garbage collector — and the functions with the most self time.
//
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--last SECONDS] [--exclude writeBuffer,writev]
//
// `--last` keeps only the final seconds of the profile (the measured run, not the start-up).
// `--exclude` leaves functions out of the busy time: a process pinned to one core is charged, in
// the socket writes that wake the database backend or the log's reader, for the time those run on
// its core (the profiler samples wall time), which says nothing about the writer's own work.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, last: { type: 'string' }, exclude: { type: 'string', default: '' } } });
const excluded = new Set(values.exclude.split(',').filter(Boolean));
if (positionals.length !== 1) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [--top N] [--last SECONDS]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

// self time of every node: each sample's time goes to the node on top of the stack
const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
const from = values.last === undefined ? 0 : total - Number(values.last) * 1e6;
const self = new Map<number, number>();
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= from) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const byPlace = new Map<string, number>();
const byFunction = new Map<string, number>();
let busy = 0;
for (const [id, micros] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)' || excluded.has(functionName)) continue;
  busy += micros;
  const place = placeOf(url, functionName);
  byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
  const name = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
}

const share = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)} %`;
console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${((total - Math.max(0, from)) / 1e6).toFixed(2)} s profiled${excluded.size ? ` (${[...excluded].join(', ')} left out)` : ''}\n`);
console.log('by place:');
for (const [place, micros] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${share(micros)}  ${place}`);
console.log(`\ntop ${values.top} functions by self time:`);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`  ${share(micros)}  ${name}`);

/** Where code lives: a package, a folder of the project, Node's internals, or V8's own work. */
function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const project = /\/(src|schema|plugins|bench)\/(?:([^/]+)\/)?/.exec(url);
  if (project) return project[2] && !project[2].includes('.') ? `${project[1]}/${project[2]}/` : `${project[1]}/`;
  return url;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|src|schema|plugins|bench)\//, '$1/');
}
