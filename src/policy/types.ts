import type { ZodType } from 'zod';
import type { ResourceType } from '../resources.ts';
import type { Attributes, Condition } from './condition.ts';
import type { Mask } from './masks.ts';
import type { Principal } from './principal.ts';

/** What a policy decides about: who, why, what, on which resource, with which arguments, when. */
export interface PolicyRequest {
  principal: Principal;
  /** The declared purpose of access (`x-access-purpose`), if any. */
  purpose: string | null;
  /** `<resource>.<verb>`, e.g. `customer.read`, `product.purchase`. */
  action: string;
  /** The record acted on, when there is one; absent for lists (then the decision filters rows). */
  resource?: { type: ResourceType; id?: string; attributes: Attributes } | undefined;
  /** The field's arguments (for mutations, the input). */
  args?: Readonly<Record<string, unknown>> | undefined;
  /** Facts loaded before deciding (e.g. the customer's risk profile for a purchase): decisions do no I/O. */
  context?: Readonly<Record<string, unknown>> | undefined;
  now: Date;
}

/** Why a policy decided as it did. `regulation` cites the rule (e.g. "证券期货投资者适当性管理办法 第19条"). */
export interface Reason {
  code: string;
  message: string;
  regulation: string | null;
}

/** A risk alert the operation must raise in its own database transaction. */
export interface AlertObligation {
  kind: 'LARGE_VALUE' | 'SUSPICIOUS' | 'HIGH_FREQUENCY' | 'SUITABILITY_OVERRIDE';
  rule: string | null;
  reason: string;
}

/** What the caller must do or may see when a decision allows. */
export interface Obligations {
  /** The rows the action covers (lists become SQL WHERE clauses). Absent: all rows. */
  rows?: Condition;
  /** Fields of the resource type that resolve to null. */
  hide?: readonly string[];
  /** Fields returned masked, and how. */
  mask?: Readonly<Record<string, Mask>>;
  /** Confirmations the caller must give before the action may proceed. */
  confirm?: readonly Reason[];
  /** Alerts the action raises. */
  alerts?: readonly AlertObligation[];
}

/** One module's answer. `abstain` when the request is none of its business. */
export interface ModuleDecision {
  effect: 'allow' | 'deny' | 'abstain';
  reasons: readonly Reason[];
  obligations: Obligations;
}

/** One module's vote in a decision, naming the policy version that cast it. */
export interface Verdict {
  /** `module@version`. */
  policy: string;
  effect: 'allow' | 'deny';
  reasons: readonly Reason[];
}

/** The combined result for one request: deny overrides, no allow means deny, an error means deny. */
export interface Decision {
  allow: boolean;
  verdicts: readonly Verdict[];
  obligations: Obligations;
}

/** A compiled policy version: a synchronous, pure decision function. */
export interface CompiledPolicy {
  decide(request: PolicyRequest): ModuleDecision;
}

/** The header every policy file starts with. */
export interface PolicyHeader {
  module: string;
  version: number;
  effectiveFrom: string;
  description: string;
  regulations: string[];
  /** `casl` rules, `rego` logic compiled to wasm, or `data` that services read (thresholds, questionnaires). */
  engine: 'casl' | 'rego' | 'data';
}

/** A validated policy file: its header, its module-specific body, where it came from, its hash. */
export interface PolicyFile<Body = unknown> extends PolicyHeader {
  body: Body;
  path: string;
  sha256: string;
  /** `module@version`. */
  id: string;
}

/**
 * A policy module (a plugin): its name, the schema of its files' body, and how a file becomes a
 * decision function. Made by factories such as `accessPolicy()`; plain objects, no I/O.
 */
export interface PolicyModule<Body = unknown> {
  readonly name: string;
  readonly engine: PolicyHeader['engine'];
  readonly description: string;
  /** Validates the body of this module's files (everything after the header). */
  readonly body: ZodType<Body>;
  /**
   * Turns a validated file into a decision function. Throws (with a path into the body) when the
   * file is valid YAML but cannot mean anything, e.g. a rule naming a field that does not exist.
   */
  compile(file: PolicyFile<Body>, context: CompileContext): CompiledPolicy;
}

/** What compiling may need besides the file: for Rego modules, the compiled wasm's bytes. */
export interface CompileContext {
  wasm?: Uint8Array;
}
