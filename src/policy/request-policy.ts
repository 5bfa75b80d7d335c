import type { GraphQLResolveInfo } from 'graphql';
import { clientError } from '../errors.ts';
import { resourceOf, type ResourceType } from '../resources.ts';
import { ALL, type Condition } from './condition.ts';
import { denyingVerdict } from './engine.ts';
import { applyMask } from './masks.ts';
import type { Principal } from './principal.ts';
import type { VersionSet } from './runtime.ts';
import type { Decision, Obligations, PolicyRequest } from './types.ts';

/**
 * The policy decisions of one request, made under one version set and cached for the request:
 * the gate is its only caller.
 */
export interface RequestPolicy {
  /** May the principal perform `action` at all, and on which rows? Throws `POLICY_DENIED` when not. */
  access(action: string): AccessGrant;
  /** The decision about one record (with facts loaded for it). Throws `POLICY_DENIED` when denied. */
  decideOn(action: string, resource: ResourceDocument, args: Record<string, unknown>): Obligations;
  /** Hidden and masked fields of a type; `null` when none apply (the gate's per-field fast path). */
  fieldEffects(typeName: string, action: string): FieldEffects | null;
  /** What the response's `extensions.policy` reports. */
  report(): PolicyReport;
}

/** An allowed action and the rows it covers. */
export interface AccessGrant {
  readonly action: string;
  readonly resource: ResourceType;
  readonly rows: Condition;
}

/** A record a decision is about: its type, key, attributes, and facts the policies need. */
export interface ResourceDocument {
  type: ResourceType;
  id: string;
  attributes: Record<string, unknown>;
  context?: Record<string, unknown>;
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
}

/** A decision a shadow version would have made differently. */
export interface ShadowOutcome {
  at: Date;
  module: string;
  enforced: string;
  shadow: string;
  request: PolicyRequest;
  enforcedDecision: Decision;
  shadowDecision: Decision;
}

export interface RequestPolicyOptions {
  versions: VersionSet;
  principal: Principal;
  purpose: string | null;
  now: Date;
  onShadowOutcome?: (outcome: ShadowOutcome) => void;
}

export function createRequestPolicy({ versions, principal, purpose, now, onShadowOutcome }: RequestPolicyOptions): RequestPolicy {
  const grants = new Map<string, AccessGrant | Error>();
  const decisions = new Map<string, Decision>();
  const effects = new Map<string, Map<string, FieldEffects | null>>();
  const report: PolicyReport = { versions: versions.ids, hidden: [], masked: [] };

  function decideRequest(request: PolicyRequest): Decision {
    const decision = versions.decide(request);
    if (onShadowOutcome) {
      for (const shadow of versions.shadows) {
        const shadowDecision = versions.decideWithShadow(shadow, request);
        if (differ(decision, shadowDecision)) {
          const enforced = versions.ids.find((id) => id.startsWith(`${shadow.module}@`)) ?? `${shadow.module}@none`;
          onShadowOutcome({ at: now, module: shadow.module, enforced, shadow: shadow.policy.id, request, enforcedDecision: decision, shadowDecision });
        }
      }
    }
    return decision;
  }

  /** The type-level decision for an action (lists and field effects), once per request. */
  function typeDecision(action: string): Decision {
    let decision = decisions.get(action);
    if (!decision) decisions.set(action, (decision = decideRequest({ principal, purpose, action, now })));
    return decision;
  }

  return {
    access(action) {
      let grant = grants.get(action);
      if (!grant) {
        const resource = resourceOf(action);
        const decision = typeDecision(action);
        grant = resource && decision.allow ? { action, resource, rows: decision.obligations.rows ?? ALL } : denied(decision, action);
        grants.set(action, grant);
      }
      if (grant instanceof Error) throw grant;
      return grant;
    },
    decideOn(action, resource, args) {
      const decision = decideRequest({ principal, purpose, action, now, args, resource: { type: resource.type, id: resource.id, attributes: resource.attributes }, context: resource.context });
      if (!decision.allow) throw denied(decision, action);
      return decision.obligations;
    },
    fieldEffects(typeName, action) {
      let byAction = effects.get(typeName);
      if (!byAction) effects.set(typeName, (byAction = new Map()));
      let found = byAction.get(action);
      if (found === undefined) {
        found = resourceOf(action) === typeName ? fieldEffectsOf(typeDecision(action), action, report) : null;
        byAction.set(action, found);
      }
      return found;
    },
    report: () => report,
  };
}

function fieldEffectsOf(decision: Decision, action: string, report: PolicyReport): FieldEffects | null {
  // a record reached without a read grant (a mutation's payload) shows nothing: fail closed
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
  return {
    apply(fieldName, path, resolve) {
      if (hide.has(fieldName)) {
        report.hidden.push(pathOf(path));
        return null;
      }
      const how = mask.get(fieldName);
      if (!how) return resolve();
      report.masked.push(pathOf(path));
      const value = resolve();
      return value instanceof Promise ? value.then((v) => applyMask(v, how)) : applyMask(value, how);
    },
  };
}

function denied(decision: Decision, action: string): Error {
  const verdict = denyingVerdict(decision);
  return clientError('POLICY_DENIED', verdict?.reasons[0]?.message ?? `${action} is not allowed`, {
    decision: {
      policy: verdict?.policy ?? null,
      reasons: verdict?.reasons ?? [{ code: 'NO_RULE_ALLOWS', message: `no policy allows ${action}`, regulation: null }],
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
