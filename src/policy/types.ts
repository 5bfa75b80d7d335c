import type { ZodType } from 'zod';
import type { Sql } from '../db/database.ts';
import type { ResourceType } from '../resources.ts';
import type { Attributes, Condition } from './condition.ts';
import type { Mask } from './masks.ts';
import type { Principal } from './principal.ts';
import type { AlertKind } from './vocabulary.ts';

/** What a policy decides about: who, why, what, on which resource, with which arguments, when. */
export interface PolicyRequest {
  principal: Principal;
  /** The declared purpose of access (`x-access-purpose`), if any. */
  purpose: string | null;
  /** `<resource>.<verb>`, e.g. `customer.read`, `product.purchase`. */
  action: string;
  /** The record acted on, when there is one; absent for type-level decisions (then rows are filtered). */
  resource?: { type: ResourceType; id?: string | undefined; attributes: Attributes } | undefined;
  /** The field's arguments (for mutations, the input). */
  args?: Readonly<Record<string, unknown>> | undefined;
  /** Facts loaded before deciding, by name (see `PolicyModule.facts`): decisions do no I/O. */
  facts?: Readonly<Record<string, unknown>> | undefined;
  now: Date;
}

/** Why a policy decided as it did. `regulation` cites the rule (e.g. "证券期货投资者适当性管理办法 第19条"). */
export interface Reason {
  code: string;
  message: string;
  regulation: string | null;
  /**
   * For a confirmation: the version of the text the caller confirms (e.g. the special written risk
   * warning's id), so the write that records it can say exactly which text was confirmed.
   */
  ref?: string;
}

/** A risk alert the operation must raise in its own database transaction. */
export interface AlertObligation {
  kind: AlertKind;
  rule: string | null;
  reason: string;
  /** When it must be reported by (e.g. large-value reports: 5 working days), if the rule says. */
  dueAt?: string | null;
}

/** What the caller must do or may see when a decision allows (see obligations.ts for how they combine). */
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

/**
 * One module's answer. `abstain` when the request is none of its business; an abstaining module may
 * still attach obligations (privacy masks fields without deciding access).
 */
export interface ModuleDecision {
  effect: 'allow' | 'deny' | 'abstain';
  reasons: readonly Reason[];
  obligations: Obligations;
}

/** One module's vote in a decision, naming the policy version that cast it. */
export interface Verdict {
  /** `module@version`. */
  policy: string;
  effect: 'allow' | 'deny' | 'abstain';
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
  /** The engine that runs it (a name in the engine registry, src/policy/engines.ts). */
  engine: string;
  /** `draft` versions load and can be tested, but are never enforced without an explicit activation. */
  status: 'draft' | 'final';
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
 * A policy module (a plugin): a plain object from a factory such as `privacyPolicy()`. It names its
 * engine, the schema of its files' body, the facts its decisions read, and how a file becomes a
 * decision function. Observers (engine `observer`) decide nothing: they see every decision.
 */
export interface PolicyModule<Body = unknown> {
  readonly name: string;
  /** A name in the engine registry: `casl`, `rego`, `data` or `observer`. */
  readonly engine: string;
  readonly description: string;
  /** Validates the body of this module's files (everything after the header). Absent: the module has no files. */
  readonly body?: ZodType<Body>;
  /**
   * Named facts its decisions read (see src/data/facts.ts), loaded before deciding on a record,
   * in the write's transaction and under its locks.
   */
  readonly facts?: readonly string[];
  /**
   * Turns a validated file into a decision function. Throws (with a path into the body) when the
   * file is valid YAML but cannot mean anything, e.g. a rule naming a field that does not exist.
   * Absent: the engine's own compile step.
   */
  compile?(file: PolicyFile<Body>, context: CompileContext): CompiledPolicy;
  /** For observers: hooks that receive the decision stream. */
  readonly observe?: Observer<Body>;
}

/** What compiling may need besides the file. */
export interface CompileContext {
  /** For Rego modules: the compiled wasm's bytes. */
  wasm?: Uint8Array;
  /** What the schema declares: actions, the resource type each covers, personal fields. */
  catalogue: Catalogue;
}

/** What the schema declares, for policies to be checked against and to decide with. */
export interface Catalogue {
  /** Every action a field declares → the resource type whose rows it covers. */
  actions: Readonly<Record<string, ResourceType>>;
  /** Personal fields per resource type: field name → its category (e.g. `identityNumber`). */
  personal: Readonly<Partial<Record<ResourceType, Readonly<Record<string, string>>>>>;
}

/**
 * Receives the decision stream. `request` runs once per request after execution (and before the
 * response is sent); `transaction` runs inside each write's database transaction with the decisions
 * made for that write. A hook that throws fails the operation (fail closed).
 */
export interface Observer<Body = unknown> {
  /**
   * Called inside a write's transaction with that write's record-level decisions. Writes pipeline
   * their last statements with COMMIT (src/money/movements.ts: the hook is called, then COMMIT is
   * sent behind it), so the hook MUST send its statements before it returns its promise — with
   * postgres.js, `tx\`…\`.execute()` called synchronously, never after an `await` — or they would
   * run after COMMIT, outside the transaction. The promise resolves when they have run.
   */
  transaction?(tx: Sql, stream: DecisionStream, config: Body | undefined): Promise<void>;
  /**
   * Called once per request after execution with every decision (those a `transaction` hook saw
   * carry `inTransaction`); the response waits for the promise, so what it records is committed
   * before anything the request read leaves.
   */
  request?(stream: DecisionStream, config: Body | undefined): Promise<void> | void;
}

/** Every decision of one request (or of one write inside it), as observers see them. */
export interface DecisionStream {
  requestId: string;
  operationName: string | null;
  /** sha256 of the operation's document. */
  operationHash: string | null;
  principal: Principal;
  purpose: string | null;
  at: Date;
  /** `module@version` and sha256 of every enforced policy version the request was decided under. */
  policies: readonly { id: string; sha256: string }[];
  decisions: readonly DecisionRecord[];
}

/** One decision of a request, and what it covered. */
export interface DecisionRecord {
  action: string;
  resourceType: ResourceType | null;
  /** Keys of the records decided on (a type-level read: every record returned under it). */
  resourceIds: readonly string[];
  /** Response paths (list indices left out) read under this decision, e.g. `customers.edges.node.name`. */
  fieldPaths: readonly string[];
  /** Of those, the paths returned masked and hidden. */
  masked: readonly string[];
  hidden: readonly string[];
  outcome: 'allow' | 'deny';
  verdicts: readonly Verdict[];
  obligations: Obligations;
  /** Shadow versions that would have decided differently. */
  shadow: readonly { policy: string; outcome: 'allow' | 'deny'; obligations: Obligations }[];
  /** The request as decided, enough to decide it again (replay). */
  input: PolicyRequest;
  /** Set when a write's transaction recorded it (observers' `transaction` hook saw it). */
  inTransaction: boolean;
  /** Whether the operation part this decision allowed failed afterwards (its write rolled back). */
  failed: boolean;
}
