import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { compileWith, engines } from './engines.ts';
import type { Catalogue, CompileContext, CompiledPolicy, PolicyFile, PolicyHeader, PolicyModule } from './types.ts';

/** A policy file problem, with where it is: "policies/access/access.v2.yaml:14: …". */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** The header every policy file opens with. */
export const headerSchema = z.strictObject({
  module: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lowercase module name'),
  version: z.number().int().positive(),
  effectiveFrom: z.union([z.iso.datetime({ offset: true }), z.iso.date()]),
  description: z.string().min(1),
  regulations: z.array(z.string().min(1)),
  engine: z.string().refine((name) => engines.has(name), { message: `must be one of the engines: ${[...engines.keys()].join(', ')}` }),
  /** A draft loads and can be tested and shadowed, but is enforced only when explicitly activated. */
  status: z.enum(['draft', 'final']).default('final'),
});

/** For `engine: rego`: the Rego source beside the file and its compiled wasm, pinned by hash. */
export const regoSchema = z.strictObject({
  source: z.string().regex(/^[a-z0-9-]+\.v\d+\.rego$/),
  sourceSha256: sha256Hex,
  wasm: z.string().regex(/^[a-z0-9-]+\.v\d+\.wasm$/),
  wasmSha256: sha256Hex,
});

const HEADER_KEYS = [...Object.keys(headerSchema.shape), 'rego', '$schema'];
const FILE_NAME = /^([a-z][a-z0-9-]*)\.v([1-9]\d*)\.yaml$/;

/** A validated, compiled policy file, ready for the engine. */
export interface LoadedPolicy<Body = unknown> {
  file: PolicyFile<Body>;
  compiled: CompiledPolicy;
}

/**
 * Reads, validates and compiles one policy file. Everything that can be wrong is a PolicyFileError
 * naming the file and line: bad YAML, a header or body that breaks its schema, a file name that
 * disagrees with the header, an unknown module or engine, a Rego source or wasm whose hash differs.
 */
export async function loadPolicyFile(path: string, modules: ReadonlyMap<string, PolicyModule>, catalogue: Catalogue): Promise<LoadedPolicy> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new PolicyFileError(path, 1, `cannot read: ${error.message}`);
  });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (at: readonly PropertyKey[]) => lineOfPath(doc, lines, at);
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new PolicyFileError(path, lines.linePos(error.pos[0]).line, error.message.split('\n')[0]!);
  }
  if (!isMap(doc.contents)) throw new PolicyFileError(path, 1, 'a policy file is a YAML mapping');
  const raw = doc.toJS() as Record<string, unknown>;

  const header = parseWith(headerSchema, pick(raw, Object.keys(headerSchema.shape)), path, lineOf) as PolicyHeader;
  const module = modules.get(header.module);
  if (!module?.body) throw new PolicyFileError(path, lineOf(['module']), `unknown module "${header.module}" (known: ${[...modules.values()].filter((m) => m.body).map((m) => m.name).join(', ')})`);
  const name = FILE_NAME.exec(basename(path));
  if (!name) throw new PolicyFileError(path, 1, 'policy files are named <module>.v<N>.yaml');
  if (name[1] !== header.module) throw new PolicyFileError(path, lineOf(['module']), `module "${header.module}" does not match the file name`);
  if (Number(name[2]) !== header.version) throw new PolicyFileError(path, lineOf(['version']), `version ${header.version} does not match the file name`);
  if (basename(dirname(path)) !== header.module) throw new PolicyFileError(path, 1, `belongs in policies/${header.module}/`);

  if (module.engine !== header.engine) throw new PolicyFileError(path, lineOf(['engine']), `module ${header.module} runs on engine "${module.engine}", not "${header.engine}"`);

  const context: CompileContext = { catalogue };
  if (engines.get(header.engine)!.wasm) {
    const rego = parseWith(regoSchema, raw.rego, path, (at) => lineOf(['rego', ...at]));
    context.wasm = await verifiedWasm(path, rego, lineOf);
  } else if ('rego' in raw) {
    throw new PolicyFileError(path, lineOf(['rego']), `engine ${header.engine} files name no Rego source`);
  }

  const body = parseWith(module.body, omit(raw, HEADER_KEYS), path, lineOf);
  const file: PolicyFile = { ...header, body, path, sha256: sha256(text), id: `${header.module}@${header.version}` };
  try {
    return { file, compiled: compileWith(module, file, context) };
  } catch (error) {
    const at = (error as { path?: PropertyKey[] }).path ?? [];
    throw new PolicyFileError(path, lineOf(at), (error as Error).message);
  }
}

async function verifiedWasm(path: string, rego: z.infer<typeof regoSchema>, lineOf: (at: readonly PropertyKey[]) => number): Promise<Uint8Array> {
  const dir = dirname(path);
  const source = await readFile(join(dir, rego.source)).catch(() => {
    throw new PolicyFileError(path, lineOf(['rego', 'source']), `Rego source ${rego.source} is missing`);
  });
  if (sha256(source) !== rego.sourceSha256) {
    throw new PolicyFileError(path, lineOf(['rego', 'sourceSha256']), `${rego.source} changed since it was compiled; run \`fingate policy build\``);
  }
  const wasm = await readFile(join(dir, rego.wasm)).catch(() => {
    throw new PolicyFileError(path, lineOf(['rego', 'wasm']), `compiled ${rego.wasm} is missing; run \`fingate policy build\``);
  });
  if (sha256(wasm) !== rego.wasmSha256) {
    throw new PolicyFileError(path, lineOf(['rego', 'wasmSha256']), `${rego.wasm} does not match its recorded hash; rebuild it with \`fingate policy build\``);
  }
  return new Uint8Array(wasm);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, path: string, lineOf: (at: readonly PropertyKey[]) => number): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new PolicyFileError(path, lineOf(issue.path), `${where}${issue.message}`);
}

/** The line of the deepest node of `at` that exists in the document. */
function lineOfPath(doc: Document, lines: LineCounter, at: readonly PropertyKey[]): number {
  for (let depth = at.length; depth >= 0; depth--) {
    const node = doc.getIn(at.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
    // for a key that is missing, point at its parent mapping
  }
  return 1;
}

const pick = (raw: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(raw).filter(([k]) => keys.includes(k)));
const omit = (raw: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(raw).filter(([k]) => !keys.includes(k)));

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
