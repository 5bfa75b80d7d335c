/**
 * Build tooling for Rego policy modules, behind `fingate policy build [--check]` and `fingate policy test`.
 * Every `policies/<m>/<m>.v<N>.yaml` with `engine: rego` names a Rego source and a wasm beside it; the
 * build compiles the source with the OPA CLI and pins both in the file's `rego:` hashes, which the
 * loader (src/policy/file.ts) verifies. The OPA CLI is a build and test tool only: the gateway loads
 * the committed wasm with Node alone.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isMap, isScalar, LineCounter, parse, parseDocument, type Document, type Scalar } from 'yaml';
import { StartupError } from '../errors.ts';
import { regoSchema, sha256 } from './file.ts';

/** A Rego policy file that cannot be built or tested, naming the file (and line, when it has one). */
export class PolicyBuildError extends Error {
  override name = 'PolicyBuildError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** What building (or checking) one policy file found. */
export interface BuildResult {
  /** The policy file (`policies/<m>/<m>.v<N>.yaml`). */
  file: string;
  /** `module@version`. */
  id: string;
  /** The Rego source and the wasm beside the file. */
  source: string;
  wasm: string;
  /** The hashes of the source and of a fresh build of it. */
  sourceSha256: string;
  wasmSha256: string;
  /**
   * `fresh`: the committed wasm and both recorded hashes match a fresh build. `stale` (check mode): they
   * do not, and `differences` says how. `updated` (build mode): they did not; the wasm and hashes were written.
   */
  status: 'fresh' | 'stale' | 'updated';
  differences: string[];
}

/** Where to find the policies and the OPA CLI (a path, or a name on PATH). */
export interface RegoToolOptions {
  /** The `policies/` folder. */
  dir: string;
  opa: string;
}

/**
 * Compiles the Rego source of every `engine: rego` policy file under `dir` with
 * `opa build -t wasm -e fingate/<m>/decision` and keeps only the bundle's `/policy.wasm`.
 * Build mode writes `<m>.v<N>.wasm` and the two hashes under `rego:` when they changed, editing only
 * those values so the file's comments and layout stay. Check mode (`check: true`, for CI) writes
 * nothing and reports each file whose committed wasm or hashes differ from the fresh build as `stale`.
 * Throws PolicyBuildError when a file cannot be read or a source does not compile, and an Error
 * saying how to get OPA when the CLI is missing.
 */
export async function buildRegoPolicies({ dir, opa, check = false }: RegoToolOptions & { check?: boolean }): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  // versions may share one source (a new version that only changes data): compile it once
  const builds = new Map<string, Promise<Uint8Array>>();
  for (const policy of await regoPolicyFiles(dir)) {
    const sourceBytes = await readFile(policy.source).catch(() => {
      throw new PolicyBuildError(policy.file, `Rego source ${basename(policy.source)} is missing`);
    });
    // Stryker disable next-line ConditionalExpression: a cache; without it the same source is compiled again
    if (!builds.has(policy.source)) builds.set(policy.source, compileRego(opa, policy.source, policy.module));
    const wasm = await builds.get(policy.source)!;
    const committed = await readFile(policy.wasm).catch(() => null);
    const fresh = { sourceSha256: sha256(sourceBytes), wasmSha256: sha256(wasm) };

    const differences: string[] = [];
    if (committed === null) differences.push(`${basename(policy.wasm)} is missing`);
    else if (!Buffer.from(wasm).equals(committed)) differences.push(`${basename(policy.wasm)} differs from a fresh build of ${basename(policy.source)}`);
    for (const key of ['sourceSha256', 'wasmSha256'] as const) {
      if (policy.recorded[key] !== fresh[key]) differences.push(`rego.${key} is ${JSON.stringify(policy.recorded[key])}, not ${fresh[key]}`);
    }

    let status: BuildResult['status'] = differences.length === 0 ? 'fresh' : check ? 'stale' : 'updated';
    if (status === 'updated') {
      if (committed === null || !Buffer.from(wasm).equals(committed)) await writeFile(policy.wasm, wasm);
      await writeFile(policy.file, withHashes(policy, fresh));
    }
    results.push({ file: policy.file, id: policy.id, source: policy.source, wasm: policy.wasm, ...fresh, status, differences });
  }
  return results;
}

/** The outcome of the Rego unit tests: one `opa test` run per policy file, and all their output. */
export interface OpaTestResult {
  ok: boolean;
  output: string;
  runs: { file: string; id: string; ok: boolean; output: string }[];
}

/**
 * Runs the Rego unit tests beside each `engine: rego` policy file: `opa test -v --fail-on-empty` on
 * its source, its `<m>.v<N>_test.rego` and its `data:` section as OPA data, one run per file, because
 * versions of one module share a package and cannot be loaded together. A policy without a test file fails.
 */
export async function runOpaTests({ dir, opa }: RegoToolOptions): Promise<OpaTestResult> {
  const runs: OpaTestResult['runs'] = [];
  for (const policy of await regoPolicyFiles(dir)) {
    const tests = policy.source.replace(/\.rego$/, '_test.rego');
    const hasTests = await readFile(tests).then(
      () => true,
      () => false,
    );
    if (!hasTests) {
      runs.push({ file: policy.file, id: policy.id, ok: false, output: `${policy.id}: no Rego unit tests: write ${basename(tests)} beside ${basename(policy.source)}\n` });
      continue;
    }
    const tmp = await mkdtemp(join(tmpdir(), 'fingate-opa-test-'));
    try {
      const data = join(tmp, 'data.json');
      await writeFile(data, JSON.stringify(policy.data ?? {}));
      const run = await runOpa(opa, ['test', '-v', '--fail-on-empty', basename(policy.source), basename(tests), data], dirname(policy.file));
      runs.push({ file: policy.file, id: policy.id, ok: run.ok, output: `${policy.id}:\n${run.stdout}${run.stderr}` });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return { ok: runs.every((run) => run.ok), output: runs.map((run) => run.output).join('\n'), runs };
}

/** One `engine: rego` policy file, as far as the build needs it. */
interface RegoPolicyFile {
  file: string;
  module: string;
  id: string;
  text: string;
  doc: Document;
  source: string;
  wasm: string;
  recorded: { sourceSha256: unknown; wasmSha256: unknown };
  /** The file's `data:` section: the Rego policy's OPA data. */
  data: unknown;
}

const FILE_NAME = /^([a-z][a-z0-9-]*)\.v([1-9]\d*)\.yaml$/;

/**
 * The `engine: rego` files of `policies/<m>/<m>.v<N>.yaml`, in a stable order. The build reads only
 * what it needs (`engine`, `rego.source`, `rego.wasm`, `data`): validating the rest is the loader's
 * job, and the hashes may be placeholders until the first build.
 */
async function regoPolicyFiles(dir: string): Promise<RegoPolicyFile[]> {
  const folders = await readdir(dir, { withFileTypes: true }).catch((error: Error) => {
    throw new PolicyBuildError(dir, `cannot read the policies folder: ${error.message}`);
  });
  const policies: RegoPolicyFile[] = [];
  for (const folder of folders.filter((entry) => entry.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const names = (await readdir(join(dir, folder.name))).sort();
    for (const name of names) {
      const match = FILE_NAME.exec(name);
      if (!match || match[1] !== folder.name) continue;
      const policy = await readRegoPolicyFile(join(dir, folder.name, name), match[1], Number(match[2]));
      if (policy) policies.push(policy);
    }
  }
  return policies;
}

async function readRegoPolicyFile(file: string, module: string, version: number): Promise<RegoPolicyFile | null> {
  const text = await readFile(file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new PolicyBuildError(file, `line ${lines.linePos(error.pos[0]).line}: ${error.message.split('\n')[0]}`);
  }
  if (doc.get('engine') !== 'rego') return null;
  const rego = doc.get('rego');
  if (!isMap(rego)) throw new PolicyBuildError(file, 'engine: rego files have a rego: section naming source, sourceSha256, wasm and wasmSha256');
  const name = (key: 'source' | 'wasm') => {
    const value = rego.get(key);
    const checked = regoSchema.shape[key].safeParse(value);
    if (!checked.success) throw new PolicyBuildError(file, `rego.${key}: ${checked.error.issues[0]!.message}`);
    return join(dirname(file), checked.data);
  };
  for (const key of ['sourceSha256', 'wasmSha256']) {
    // the build rewrites these values in place, so they must be there, even as placeholders
    if (!isScalar(rego.get(key, true))) throw new PolicyBuildError(file, `rego.${key} is missing (write "${key}: pending")`);
  }
  return {
    file,
    module,
    id: `${module}@${version}`,
    text,
    doc,
    source: name('source'),
    wasm: name('wasm'),
    recorded: { sourceSha256: rego.get('sourceSha256'), wasmSha256: rego.get('wasmSha256') },
    data: (doc.toJS() as { data?: unknown }).data ?? {},
  };
}

/** The file's text with the two hash values replaced, every other byte as it was. */
function withHashes(policy: RegoPolicyFile, hashes: { sourceSha256: string; wasmSha256: string }): string {
  const edits = (['sourceSha256', 'wasmSha256'] as const)
    .map((key) => {
      const node = policy.doc.getIn(['rego', key], true) as Scalar;
      const [start, end] = node.range!;
      return { start, end, text: yamlString(hashes[key]) };
    })
    .sort((a, b) => b.start - a.start);
  let text = policy.text;
  for (const edit of edits) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  return text;
}

/** A hex digest as a plain YAML scalar, quoted in the rare case YAML would read it as a number. */
function yamlString(hex: string): string {
  return parse(hex) === hex ? hex : `"${hex}"`;
}

/**
 * The wasm of `opa build -t wasm -e fingate/<module>/decision <source>`, run in a temp folder holding
 * only a copy of the source: the wasm embeds the path it was given, so building from a bare file name
 * keeps it the same byte for byte wherever the repository is checked out. Throws PolicyBuildError
 * when the source does not compile.
 */
export async function compileRego(opa: string, source: string, module: string): Promise<Uint8Array> {
  const tmp = await mkdtemp(join(tmpdir(), 'fingate-opa-build-'));
  try {
    await copyFile(source, join(tmp, basename(source)));
    const run = await runOpa(opa, ['build', '-t', 'wasm', '-e', `fingate/${module}/decision`, '-o', 'bundle.tar.gz', basename(source)], tmp);
    if (!run.ok) throw new PolicyBuildError(source, `opa build failed:\n${(run.stderr || run.stdout).trim()}`);
    const wasm = tarEntry(gunzipSync(await readFile(join(tmp, 'bundle.tar.gz'))), 'policy.wasm');
    if (!wasm) throw new PolicyBuildError(source, 'the bundle opa built holds no /policy.wasm');
    return wasm;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface OpaRun {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs the OPA CLI; a non-zero exit is a result (failed tests), a missing CLI is an error. */
function runOpa(opa: string, args: string[], cwd: string): Promise<OpaRun> {
  return new Promise((resolve, reject) => {
    execFile(opa, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        // an operator's setup, not a bug: one line, as for any other missing tool
        reject(new StartupError(`the OPA CLI was not found at "${opa}": set OPA to an opa v1.22.3 binary (the version that built the committed wasm), e.g. after go install github.com/open-policy-agent/opa@v1.22.3, OPA=$(go env GOPATH)/bin/opa`));
        return;
      }
      resolve({ ok: error === null, stdout, stderr });
    });
  });
}

/**
 * The contents of one regular file in a tar archive (ustar, with the pax and GNU long-name
 * extensions Go's archive/tar may write), or null. Names compare without a leading "/" or "./".
 */
export function tarEntry(tar: Uint8Array, wanted: string): Uint8Array | null {
  const text = (start: number, length: number) => {
    const bytes = tar.subarray(start, start + length);
    const end = bytes.indexOf(0);
    return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
  };
  const normalize = (name: string) => name.replace(/^(\.?\/)+/, '');
  let longName: string | null = null;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    if (tar.subarray(offset, offset + 512).every((byte) => byte === 0)) break; // end of archive
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[offset + 156]!);
    const prefix = text(offset + 257, 6).startsWith('ustar') ? text(offset + 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = null;
    if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(body).toString('utf8'))?.[1] ?? null;
    else if (type === 'L') longName = text(offset + 512, size);
    else if ((type === '0' || type === '\0') && normalize(name) === normalize(wanted)) return new Uint8Array(body);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return null;
}
