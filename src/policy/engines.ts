import { compileCasl, type CaslBody } from './casl.ts';
import { loadRegoPolicy, parseRegoDecision } from './rego.ts';
import type { CompileContext, CompiledPolicy, ModuleDecision, PolicyFile, PolicyModule, PolicyRequest } from './types.ts';

/**
 * How a module's policy file becomes a decision function. Modules name their engine; a module may
 * bring its own `compile`, which replaces the engine's.
 */
export interface Engine {
  readonly name: string;
  /** Whether its modules vote on decisions (observers do not). */
  readonly decides: boolean;
  /** Whether its files name a Rego source and wasm (`rego:` in the header). */
  readonly wasm: boolean;
  compile(file: PolicyFile, context: CompileContext): CompiledPolicy;
}

const ABSTAIN: ModuleDecision = { effect: 'abstain', reasons: [], obligations: {} };
const abstains: CompiledPolicy = { decide: () => ABSTAIN };

/** The engine registry: every engine a module may name. */
export const engines: ReadonlyMap<string, Engine> = new Map(
  (
    [
    /** Rules as data (@casl/ability): who may read or act on which rows; lists become SQL filters. */
    { name: 'casl', decides: true, wasm: false, compile: (file, context) => compileCasl(file as PolicyFile<CaslBody>, context.catalogue) },
    /**
     * Business rules in Rego, compiled to wasm and evaluated in-process. The file's `data:` is the
     * policy's OPA data and must list the `actions` it decides; it decides writes on one record
     * (with their facts) and abstains on everything else.
     */
    { name: 'rego', decides: true, wasm: true, compile: compileRego },
    /** Tables and thresholds the module's own compile step (or a service) applies; by itself it abstains. */
    { name: 'data', decides: true, wasm: false, compile: () => abstains },
    /** Decides nothing: receives the decision stream (audit). */
    { name: 'observer', decides: false, wasm: false, compile: () => abstains },
    ] satisfies Engine[]
  ).map((engine) => [engine.name, engine]),
);

/** The decision function of one module's file, by the module's own compile or its engine's. */
export function compileWith(module: PolicyModule, file: PolicyFile, context: CompileContext): CompiledPolicy {
  if (module.compile) return module.compile(file, context);
  const engine = engines.get(module.engine);
  if (!engine) throw new Error(`unknown engine "${module.engine}"`);
  return engine.compile(file, context);
}

function compileRego(file: PolicyFile, { wasm }: CompileContext): CompiledPolicy {
  const data = (file.body as { data?: { actions?: unknown } }).data;
  if (!Array.isArray(data?.actions)) throw Object.assign(new Error('a Rego policy lists the actions it decides in data.actions'), { path: ['data'] });
  if (!wasm) throw Object.assign(new Error('a Rego policy needs its compiled wasm'), { path: ['rego', 'wasm'] });
  let policy: ReturnType<typeof loadRegoPolicy>;
  try {
    policy = loadRegoPolicy(wasm, data);
  } catch (error) {
    throw Object.assign(new Error((error as Error).message), { path: ['rego', 'wasm'] });
  }
  const actions = new Set(data.actions as string[]);
  return {
    decide(request) {
      // "may this principal do it at all?" carries no record: Rego modules decide per record
      if (!actions.has(request.action) || !request.resource) return ABSTAIN;
      return parseRegoDecision(policy.evaluate(regoInput(request)));
    },
  };
}

/** The request as Rego input: plain JSON, `now` an ISO-8601 UTC string that orders as it compares. */
export function regoInput(request: PolicyRequest) {
  return {
    principal: request.principal,
    purpose: request.purpose,
    action: request.action,
    resource: request.resource ?? null,
    args: request.args ?? {},
    facts: request.facts ?? {},
    now: request.now.toISOString(),
  };
}
