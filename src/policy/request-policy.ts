import type { GraphQLResolveInfo } from 'graphql';
import type { Sql } from '../db/database.ts';
import { clientError, notFound } from '../errors.ts';
import type { ResourceType } from '../resources.ts';
import { ALL, matches, type Condition } from './condition.ts';
import { denyingVerdict } from './engine.ts';
import type { FieldPath } from './field-paths.ts';
import { applyMask } from './masks.ts';
import { takeIssuer, type FactSubject, type Permit, type RecordDecider, type RecordDocument } from './permit.ts';
import type { Principal } from './principal.ts';
import type { VersionSet } from './runtime.ts';
import type { Catalogue, Decision, DecisionRecord, DecisionStream, PolicyRequest } from './types.ts';

// The gate's half that lives for one request: every decision is made here, under one version set,
// cached once per (action, principal, purpose), and kept for the decision stream. Permits come
// from here and nowhere else (besides the system path, src/data/system.ts).
const issue = takeIssuer('gate');

/** The request header that declares the purpose of access. */
export const PURPOSE_HEADER = 'x-access-purpose';

/**
 * The policy decisions of one request, made under one version set and cached for the request:
 * the gate is its only caller.
 */
export interface RequestPolicy {
  /** A permit for `action` over `resource` rows, decided once per request. Throws `POLICY_DENIED`. */
  permit(action: string, resource: ResourceType): Permit;
  /**
   * Decides, once, whether the caller may declare the request's purpose of access; a purpose they
   * may not declare is BAD_USER_INPUT naming the header. Nothing to decide without one.
   */
  checkPurpose(): void;
  /** Hidden and masked fields of the records read under `action`; `null` when none apply. Throws when the read is denied. */
  fieldEffects(action: string, resource: ResourceType): FieldEffects | null;
  /**
   * Whether each of these actions' type-level decisions allows and neither hides nor masks the
   * named fields: then reading those fields is all the gate would do. Decides without keeping: a
   * decision enters the stream only when a field asks for it, as ever.
   */
  untouched(leaves: readonly { action: string; fields: readonly string[] }[]): boolean;
  /** The resource type whose rows an action covers (from the catalogue); throws for an unknown action. */
  resourceOf(action: string): ResourceType;
  /** Notes the keys of records a field returned under `action`, for the decision stream. */
  returned(action: string, keys: readonly string[]): void;
  /** Notes a root field decided under an action known only at run time (`node(id:)`). */
  decidedAt(action: string, fieldName: string): void;
  /**
   * Marks the decisions made since `since` (an index from `mark()`) as belonging to a write that
   * failed, and the type-level decision of its `action` too: a write that failed before deciding on
   * its record is an attempt all the same.
   */
  failedSince(since: number, action: string): void;
  /** The position in the stream; with `failedSince`. */
  mark(): number;
  /** What the response's `extensions.policy` reports. */
  report(): PolicyReport;
  /**
   * Notes the operation before it executes: the response paths it reads (from the document), its
   * name and hash. Streams handed out inside a write's transaction carry them too.
   */
  describe(paths: readonly FieldPath[], operation: { name: string | null; hash: string | null }): void;
  /** Every decision of the request, with the response paths read under each. */
  stream(): DecisionStream;
  /** The versions the request is decided under (their observers receive the stream). */
  readonly versions: VersionSet;
}

/** Applies the privacy obligations of one type to its fields. */
export interface FieldEffects {
  apply(fieldName: string, path: GraphQLResolveInfo['path'], resolve: () => unknown): unknown;
}

/** The `extensions.policy` of a response. */
export interface PolicyReport {
  versions: readonly string[];
  hidden: string[];
  masked: string[];
  /** Why fields were hidden or masked: the reasons of the verdicts whose obligations applied. */
  reasons: { policy: string; code: string; message: string; regulation: string | null }[];
}

/** Loads one named fact about a write's record, on its transaction (src/data/facts.ts provides them). */
export interface FactProvider {
  load(tx: Sql, subject: FactSubject): Promise<unknown>;
}

export interface RequestPolicyOptions {
  versions: VersionSet;
  principal: Principal;
  purpose: string | null;
  now: Date;
  requestId: string;
  /** The fact providers, by name. */
  facts: Readonly<Record<string, FactProvider>>;
  /** Every action the schema declares and the resource type it covers. */
  actions: Catalogue['actions'];
  /** The business day's time zone, for facts that mean "today". */
  timeZone: string;
}

/** A decision as the request keeps it: the stream's record, the keys it covered, its paths. */
interface Kept {
  record: Omit<DecisionRecord, 'resourceIds' | 'fieldPaths' | 'masked' | 'hidden'>;
  decision: Decision;
  keys: Set<string>;
  /** Paths decided at run time (dynamic actions). */
  paths: Set<string>;
  /** Whether it is the type-level decision of its action (the one list reads and fields use). */
  typeLevel: boolean;
}

export function createRequestPolicy({ versions, principal, purpose, now, requestId, facts, actions, timeZone }: RequestPolicyOptions): RequestPolicy {
  const kept: Kept[] = [];
  const typeLevel = new Map<string, Kept>();
  const permits = new Map<string, Permit | Error>();
  const effects = new Map<string, FieldEffects | null>();
  const report: PolicyReport = { versions: versions.ids, hidden: [], masked: [], reasons: [] };
  let described: { paths: readonly FieldPath[]; operation: { name: string | null; hash: string | null } } = { paths: [], operation: { name: null, hash: null } };

  // type-level decisions made ahead of their fields (untouched): kept once a field asks for them
  const ahead = new Map<string, Decision>();

  function decideAndKeep(request: PolicyRequest, isTypeLevel: boolean, decision = versions.decide(request)): Kept {
    const shadow = versions.shadows.flatMap(({ module, policy }) => {
      const other = versions.decideWithShadow({ module, policy }, request);
      return differ(decision, other) ? [{ policy: policy.id, outcome: other.allow ? ('allow' as const) : ('deny' as const), obligations: other.obligations }] : [];
    });
    const entry: Kept = {
      record: {
        action: request.action,
        resourceType: request.resource?.type ?? null,
        outcome: decision.allow ? 'allow' : 'deny',
        verdicts: decision.verdicts,
        obligations: decision.obligations,
        shadow,
        input: request,
        inTransaction: false,
        failed: false,
      },
      decision,
      keys: new Set(request.resource?.id ? [request.resource.id] : []),
      paths: new Set(),
      typeLevel: isTypeLevel,
    };
    kept.push(entry);
    return entry;
  }

  /** The type-level decision of an action (lists and field effects), once per request. */
  function typeDecision(action: string, resource: ResourceType): Kept {
    let entry = typeLevel.get(action);
    if (!entry) {
      const request = { principal, purpose, action, now };
      entry = decideAndKeep(request, true, ahead.get(action) ?? versions.decide(request));
      entry.record.resourceType = resource;
      typeLevel.set(action, entry);
    }
    return entry;
  }

  function resourceOf(action: string): ResourceType {
    const resource = Object.hasOwn(actions, action) ? actions[action] : undefined;
    // Stryker disable next-line StringLiteral: message text
    if (!resource) throw new Error(`no type declares the action ${action}`);
    return resource;
  }

  function recordDecider(action: string, rows: Condition): RecordDecider {
    return {
      async facts(tx, keys, also = []) {
        const subject: FactSubject = { keys, now, timeZone };
        const names = [...new Set([...versions.facts, ...also])];
        const values = await Promise.all(names.map((name) => facts[name]!.load(tx, subject)));
        return Object.fromEntries(names.map((name, i) => [name, values[i]]));
      },
      decide(document: RecordDocument) {
        // a record outside the principal's rows is answered like one that does not exist
        if (!matches(rows, document.attributes)) throw notFound(document.type);
        const entry = decideAndKeep(
          { principal, purpose, action, now, resource: { type: document.type, id: document.id, attributes: document.attributes }, args: document.args, facts: document.facts },
          false,
        );
        if (!entry.decision.allow) throw denied(entry.decision, action);
        return entry.decision.obligations;
      },
      // Not async: a hook that cannot build its rows throws here, synchronously, before the caller
      // has sent the COMMIT it pipelines behind this call (an async frame would turn the throw into
      // a rejection noticed only after the COMMIT went out: a write committed without its records).
      observe(tx) {
        const pending = kept.filter((k) => !k.typeLevel && k.record.action === action && !k.record.inTransaction);
        if (pending.length === 0 || versions.observers.every((o) => !o.observe.transaction)) return Promise.resolve();
        // the stream these hooks see is this transaction's: say so (a write that fails clears it)
        for (const k of pending) k.record.inTransaction = true;
        const stream = streamOf(pending, described.paths, described.operation);
        return Promise.all(versions.observers.map((o) => o.observe.transaction?.(tx, stream, o.config))).then(() => undefined);
      },
    };
  }

  function streamOf(entries: readonly Kept[], paths: readonly FieldPath[], operation: { name: string | null; hash: string | null }): DecisionStream {
    return {
      requestId,
      operationName: operation.name,
      operationHash: operation.hash,
      principal,
      purpose,
      at: now,
      policies: versions.policies,
      decisions: entries.map((entry) => {
        const mine = paths.filter((p) => p.action === entry.record.action);
        const hide = new Set(entry.decision.obligations.hide ?? []);
        const mask = entry.decision.obligations.mask ?? {};
        return {
          ...entry.record,
          resourceIds: [...entry.keys],
          fieldPaths: [...new Set([...mine.map((p) => p.path), ...entry.paths])],
          hidden: mine.filter((p) => p.leaf && hide.has(p.field)).map((p) => p.path),
          masked: mine.filter((p) => p.leaf && !hide.has(p.field) && Object.hasOwn(mask, p.field)).map((p) => p.path),
        };
      }),
    };
  }

  return {
    versions,
    checkPurpose() {
      if (purpose === null) return;
      // type-level: it concerns no record (no write's mark or transaction hook ever takes it in)
      // Stryker disable next-line BooleanLiteral: decided before any write, it is never a write's either way
      const { decision } = decideAndKeep({ principal, purpose, action: 'purpose.declare', now }, true);
      if (decision.allow) return;
      const verdict = denyingVerdict(decision);
      // Stryker disable next-line StringLiteral,LogicalOperator: message text, tests assert codes
      const message = verdict?.reasons[0]?.message ?? `the purpose "${purpose}" cannot be declared`;
      throw clientError('BAD_USER_INPUT', message, {
        field: PURPOSE_HEADER,
        decision: { policy: verdict?.policy ?? null, reasons: verdict?.reasons ?? [] },
      });
    },
    permit(action, resource) {
      let permit = permits.get(action);
      if (!permit) {
        const { decision } = typeDecision(action, resource);
        const rows = decision.obligations.rows ?? ALL;
        permit = decision.allow ? issue(action, resource, rows, decision.obligations, recordDecider(action, rows)) : denied(decision, action);
        permits.set(action, permit);
      }
      if (permit instanceof Error) throw permit;
      return permit;
    },
    fieldEffects(action, resource) {
      let found = effects.get(action);
      if (found === undefined) {
        found = fieldEffectsOf(typeDecision(action, resource).decision, action, report);
        effects.set(action, found);
      }
      return found;
    },
    untouched(leaves) {
      for (const { action, fields } of leaves) {
        let decision = typeLevel.get(action)?.decision ?? ahead.get(action);
        if (!decision) ahead.set(action, (decision = versions.decide({ principal, purpose, action, now })));
        if (!decision.allow) return false;
        const { hide, mask } = decision.obligations;
        if (fields.some((field) => hide?.includes(field) || (mask && Object.hasOwn(mask, field)))) return false;
      }
      return true;
    },
    resourceOf,
    returned(action, keys) {
      const entry = typeLevel.get(action);
      if (entry) for (const key of keys) entry.keys.add(key);
    },
    decidedAt(action, fieldName) {
      // decided here if the permit is not asked for yet: the path belongs to the record even when denied
      typeDecision(action, resourceOf(action)).paths.add(fieldName);
    },
    mark: () => kept.length,
    failedSince(since, action) {
      for (const entry of kept.slice(since)) {
        if (entry.typeLevel) continue;
        entry.record.failed = true;
        entry.record.inTransaction = false;
      }
      const attempted = typeLevel.get(action);
      if (attempted) attempted.record.failed = true;
    },
    report: () => report,
    describe(paths, operation) {
      described = { paths, operation };
    },
    stream: () => streamOf(kept, described.paths, described.operation),
  };
}

function fieldEffectsOf(decision: Decision, action: string, report: PolicyReport): FieldEffects | null {
  // a record's scalar read without an allowed read of its type shows nothing: fail closed
  if (!decision.allow) {
    const error = denied(decision, action);
    return {
      apply() {
        throw error;
      },
    };
  }
  const hide = new Set(decision.obligations.hide ?? []);
  const mask = new Map(Object.entries(decision.obligations.mask ?? {}));
  if (hide.size === 0 && mask.size === 0) return null;
  let explained = false;
  // the reasons of the verdicts that attached field obligations, said once per response
  const explain = () => {
    // Stryker disable next-line ConditionalExpression: once per type is enough; the check below keeps reasons unique anyway
    if (explained) return;
    // Stryker disable next-line BooleanLiteral: the same cache
    explained = true;
    for (const verdict of decision.verdicts) {
      if (verdict.effect !== 'abstain') continue;
      for (const reason of verdict.reasons) {
        if (!report.reasons.some((r) => r.policy === verdict.policy && r.code === reason.code)) report.reasons.push({ policy: verdict.policy, ...reason });
      }
    }
  };
  return {
    apply(fieldName, path, resolve) {
      if (hide.has(fieldName)) {
        explain();
        report.hidden.push(pathOf(path));
        return null;
      }
      const how = mask.get(fieldName);
      if (!how) return resolve();
      explain();
      report.masked.push(pathOf(path));
      const value = resolve();
      return value instanceof Promise ? value.then((v) => applyMask(v, how)) : applyMask(value, how);
    },
  };
}

function denied(decision: Decision, action: string): Error {
  const verdict = denyingVerdict(decision);
  // Stryker disable next-line StringLiteral: message texts, tests assert codes
  const [message, none] = [verdict?.reasons[0]?.message ?? `${action} is not allowed`, `no policy allows ${action}`];
  return clientError('POLICY_DENIED', message, {
    decision: {
      policy: verdict?.policy ?? null,
      reasons: verdict?.reasons.length ? verdict.reasons : [{ code: 'NO_RULE_ALLOWS', message: none, regulation: null }],
      ...(decision.obligations.confirm ? { confirm: decision.obligations.confirm } : {}),
    },
  });
}

function differ(a: Decision, b: Decision): boolean {
  return a.allow !== b.allow || JSON.stringify(a.obligations) !== JSON.stringify(b.obligations);
}

function pathOf(path: GraphQLResolveInfo['path']): string {
  const parts: (string | number)[] = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = path; p; p = p.prev) parts.unshift(p.key);
  return parts.join('.');
}
