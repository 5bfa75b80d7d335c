/**
 * Rego policies in-process: a policy file's compiled wasm (built by `fingate policy build`, see
 * src/policy/build.ts) loaded with `@open-policy-agent/opa-wasm` and evaluated synchronously, because
 * the engine's `decide` is synchronous. Also the shape every Rego entrypoint must return, turned into a
 * ModuleDecision; anything else throws, and the engine turns a throw into a deny.
 */
import { createRequire } from 'node:module';
import type { LoadedPolicy, loadPolicySync as LoadPolicySync } from '@open-policy-agent/opa-wasm';
import { z } from 'zod';
import { maskSchema } from './masks.ts';
import { ALERT_KINDS, CODE_PATTERN } from './vocabulary.ts';
import type { ModuleDecision } from './types.ts';

// The package's ES module entry exports only the asynchronous `loadPolicy` (and typings that disagree
// with it); its CommonJS entry also has `loadPolicySync`, which a synchronous `decide` needs.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as { loadPolicySync: typeof LoadPolicySync };

/** One compiled Rego policy, its data set once at load. */
export interface RegoPolicy {
  /** The value of the policy's single entrypoint for `input`. Throws when it is undefined or evaluation fails. */
  evaluate(input: unknown): unknown;
}

/**
 * Instantiates a policy wasm built with one entrypoint (`opa build -t wasm -e fingate/<module>/decision`)
 * and sets `data` (the policy file's `data:` section) as its OPA data, once: evaluations then only
 * copy their input in. Throws on a wasm that is not an OPA policy or has other than one entrypoint.
 */
export function loadRegoPolicy(wasm: Uint8Array, data: unknown): RegoPolicy {
  let policy: LoadedPolicy;
  try {
    // compiling the module ourselves keeps the library's ArrayBuffer sniffing out of the way
    const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    const exports = new Set(WebAssembly.Module.exports(module).map((entry) => entry.name));
    if (!exports.has('opa_eval') || !exports.has('opa_wasm_abi_version')) throw new Error('not an OPA policy wasm (built with opa build -t wasm)');
    policy = loadPolicySync(module);
    policy.setData((data ?? {}) as object);
  } catch (error) {
    throw new Error(`cannot load the Rego wasm: ${describe(error)}`);
  }
  const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
  if (entrypoints.length !== 1) {
    throw new Error(`a Rego policy wasm has exactly one entrypoint, this one has ${entrypoints.length} (${entrypoints.join(', ')})`);
  }
  const entrypoint = entrypoints[0]!;

  return {
    evaluate(input) {
      let resultSet: unknown;
      try {
        resultSet = policy.evaluate(input);
      } catch (error) {
        // the library throws strings and plain objects (opa_abort, missing builtins): make them errors
        throw new Error(`Rego entrypoint ${entrypoint} failed: ${describe(error)}`);
      }
      return resultOf(resultSet, entrypoint);
    },
  };
}

/** OPA's result set for one entrypoint: `[{ result }]` when defined, `[]` when undefined. */
function resultOf(resultSet: unknown, entrypoint: string): unknown {
  if (!Array.isArray(resultSet)) throw new Error(`Rego entrypoint ${entrypoint} returned no result set`);
  if (resultSet.length === 0) throw new Error(`Rego entrypoint ${entrypoint} is undefined for this input`);
  const [first] = resultSet as unknown[];
  if (resultSet.length !== 1 || typeof first !== 'object' || first === null || !('result' in first)) {
    throw new Error(`Rego entrypoint ${entrypoint} returned an unexpected result set`);
  }
  return first.result;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/** A reason as Rego writes it: `regulation` is a citation or null, never missing. */
export const regoReasonSchema = z.strictObject({
  code: z.string().regex(CODE_PATTERN, 'reason codes are UPPER_SNAKE_CASE'),
  message: z.string().min(1),
  regulation: z.string().min(1).nullable(),
});

/** A confirmation the caller must give: a reason, and optionally the version of the text it confirms (`ref`). */
const regoConfirmSchema = regoReasonSchema.extend({ ref: z.string().min(1).optional() });

/**
 * What every Rego entrypoint returns: `{ allow, reasons, obligations }`. Strict, so a misspelt
 * obligation (`alert` for `alerts`) is an error rather than an obligation silently dropped.
 */
export const regoDecisionSchema = z.strictObject({
  allow: z.boolean(),
  reasons: z.array(regoReasonSchema),
  obligations: z.strictObject({
    confirm: z.array(regoConfirmSchema).optional(),
    alerts: z
      .array(
        z.strictObject({
          kind: z.enum(ALERT_KINDS),
          rule: z.string().min(1).nullable(),
          reason: z.string().min(1),
          dueAt: z.string().nullable().optional(),
        }),
      )
      .optional(),
    hide: z.array(z.string().min(1)).optional(),
    mask: z.record(z.string().min(1), maskSchema).optional(),
  }),
});

/** A Rego entrypoint's value as a ModuleDecision. Throws (a ZodError-derived Error) on anything else. */
export function parseRegoDecision(value: unknown): ModuleDecision {
  const parsed = regoDecisionSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // Stryker disable next-line all: message text, tests assert what it names
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new Error(`the Rego decision is malformed: ${where}${issue.message}`);
  }
  const { allow, reasons, obligations } = parsed.data;
  return { effect: allow ? 'allow' : 'deny', reasons, obligations };
}
