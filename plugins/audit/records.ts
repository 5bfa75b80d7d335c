// From decisions to audit records, as the audit policy file says: which decisions are recorded,
// of which kind, kept how long, and what of their input goes in.

import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../src/audit/record.ts';
import type { DecisionRecord, DecisionStream, Obligations } from '../../src/policy/types.ts';
import type { AuditBody } from './body.ts';
import { REDACTED, redact, safeLabel } from './redact.ts';

/** A policy body made ready to apply: lookups instead of lists. */
interface Rules {
  kindOf(action: string): string;
  retainUntil(kind: string, at: Date): Date;
  /** Whether an allowed read under this action goes unrecorded. */
  skipAllowed(action: string): boolean;
  never: ReadonlySet<string>;
}

const prepared = new WeakMap<AuditBody, Rules>();

function rulesOf(body: AuditBody): Rules {
  let rules = prepared.get(body);
  if (!rules) {
    const kinds = new Map(Object.entries(body.kinds).flatMap(([name, k]) => k.actions.map((a) => [a, name] as const)));
    const unrecorded = new Set([...body.requestChecks, ...(body.nonPersonalReads.recordAllowed ? [] : body.nonPersonalReads.actions)]);
    rules = {
      kindOf: (action) => kinds.get(action) ?? body.defaultKind,
      retainUntil(kind, at) {
        const { years = 0, months = 0, days = 0 } = body.kinds[kind]!.retention;
        const until = new Date(at);
        until.setUTCFullYear(until.getUTCFullYear() + years, until.getUTCMonth() + months, until.getUTCDate() + days);
        return until;
      },
      skipAllowed: (action) => unrecorded.has(action),
      never: new Set(body.neverRecord),
    };
    prepared.set(body, rules);
  }
  return rules;
}

/** The records of `decisions` (some of `stream`'s), one per decision the policy records. */
export function recordsOf(stream: DecisionStream, decisions: readonly DecisionRecord[], body: AuditBody): AuditRecord[] {
  const rules = rulesOf(body);
  const records: AuditRecord[] = [];
  for (const d of decisions) {
    // an allowed read of the catalogue says nothing about anyone; a denial always says something
    if (d.outcome === 'allow' && !d.failed && rules.skipAllowed(d.action)) continue;
    const kind = rules.kindOf(d.action);
    records.push({
      at: stream.at,
      kind,
      retainUntil: rules.retainUntil(kind, stream.at),
      requestId: safeLabel(stream.requestId, `sha256:${createHash('sha256').update(stream.requestId).digest('hex').slice(0, 32)}`),
      operation: stream.operationName ?? 'anonymous',
      operationHash: stream.operationHash,
      actor: stream.principal.id,
      roles: stream.principal.roles,
      purpose: stream.purpose === null ? null : safeLabel(stream.purpose, REDACTED),
      action: d.action,
      resourceType: d.resourceType,
      resourceIds: d.resourceIds,
      customerIds: customersOf(d),
      fieldPath: fieldPathOf(d),
      fields: d.fieldPaths,
      masked: d.masked,
      hidden: d.hidden,
      decision: d.outcome === 'allow' ? 'ALLOW' : 'DENY',
      failed: d.failed,
      inTransaction: d.inTransaction,
      policies: stream.policies.map((p) => p.id),
      policySha256: stream.policies.map((p) => p.sha256),
      reasons: [...new Set(d.verdicts.flatMap((v) => v.reasons.map((r) => r.code)))],
      detail: {
        verdicts: d.verdicts.map((v) => ({ policy: v.policy, effect: v.effect, reasons: v.reasons.map((r) => ({ code: r.code, message: r.message, regulation: r.regulation })) })),
        obligations: obligationsOf(d.obligations),
        shadow: d.shadow.map((s) => ({ policy: s.policy, outcome: s.outcome })),
        input: redact(d.input, rules.never) as Record<string, unknown>,
      },
    });
  }
  return records;
}

/** A write's customer is known from its record; a read's are found from the ids when inserted (null). */
function customersOf(d: DecisionRecord): string[] | null {
  const customerId = d.input.resource?.attributes.customerId;
  return customerId === undefined || customerId === null ? null : [String(customerId)];
}

/**
 * Where in the operation the decision was made: the root-most path read under it; for an act (any
 * action but a read) its mutation field, as `Mutation.transfer`; for an operator's command, the action.
 */
function fieldPathOf(d: DecisionRecord): string {
  const root = d.fieldPaths.reduce<string | undefined>((best, p) => (best === undefined || p.length < best.length ? p : best), undefined);
  if (root === undefined) return d.action;
  return d.action.endsWith('.read') ? root : `Mutation.${root}`;
}

/**
 * The obligations as applied: rows (conditions on ids and classes, from the policy), hidden and
 * masked fields by name, confirmations and alerts by code. Never values: nothing here is redacted.
 */
function obligationsOf(o: Obligations): Record<string, unknown> {
  return {
    ...(o.rows ? { rows: o.rows } : {}),
    ...(o.hide?.length ? { hide: o.hide } : {}),
    ...(o.mask ? { mask: o.mask } : {}),
    ...(o.confirm?.length ? { confirm: o.confirm.map((c) => c.code) } : {}),
    ...(o.alerts?.length ? { alerts: o.alerts.map((a) => ({ kind: a.kind, rule: a.rule })) } : {}),
  };
}
