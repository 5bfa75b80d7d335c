import { and } from './condition.ts';
import type { CompiledPolicy, Decision, ModuleDecision, Obligations, PolicyRequest, Verdict } from './types.ts';

/** A compiled policy version as the engine runs it. */
export interface ActivePolicy {
  /** `module@version`. */
  id: string;
  compiled: CompiledPolicy;
}

/**
 * Decides one request under a set of policy versions (one per module). Pure and synchronous.
 * Deny overrides; no allow means deny; a module that throws denies.
 */
export function decide(policies: readonly ActivePolicy[], request: PolicyRequest): Decision {
  const votes: { id: string; decision: ModuleDecision }[] = [];
  for (const policy of policies) {
    const decision = evaluate(policy, request);
    if (decision.effect !== 'abstain') votes.push({ id: policy.id, decision });
  }
  return combine(votes);
}

function evaluate(policy: ActivePolicy, request: PolicyRequest): ModuleDecision {
  try {
    const decision = policy.compiled.decide(request);
    if (decision?.effect !== 'allow' && decision?.effect !== 'deny' && decision?.effect !== 'abstain') throw new Error('no effect');
    return decision;
  } catch (error) {
    // the details are for operators; the caller learns which policy failed, and that it denied
    console.error(`policy ${policy.id} failed to decide ${request.action}:`, error);
    return {
      effect: 'deny',
      reasons: [{ code: 'POLICY_ERROR', message: `${policy.id} could not decide this request, so it is denied`, regulation: null }],
      obligations: {},
    };
  }
}

/** Combines module votes: any deny wins, and at least one allow is needed. */
export function combine(votes: readonly { id: string; decision: ModuleDecision }[]): Decision {
  const verdicts: Verdict[] = votes.map(({ id, decision }) => ({ policy: id, effect: decision.effect as Verdict['effect'], reasons: decision.reasons }));
  const denials = votes.filter((v) => v.decision.effect === 'deny');
  const allows = votes.filter((v) => v.decision.effect === 'allow');
  if (denials.length > 0 || allows.length === 0) {
    // a denial still says what the caller could do about it (e.g. a confirmation to give)
    const confirm = denials.flatMap((v) => v.decision.obligations.confirm ?? []);
    return { allow: false, verdicts, obligations: confirm.length ? { confirm } : {} };
  }
  return { allow: true, verdicts, obligations: allows.reduce<Obligations>((acc, v) => merge(acc, v.decision.obligations), {}) };
}

/** Obligations of several modules together: rows must satisfy all, hides and masks add up. */
function merge(a: Obligations, b: Obligations): Obligations {
  const out: { -readonly [K in keyof Obligations]: Obligations[K] } = { ...a };
  if (b.rows) out.rows = a.rows ? and([a.rows, b.rows]) : b.rows;
  if (b.hide) out.hide = [...new Set([...(a.hide ?? []), ...b.hide])];
  if (b.mask) out.mask = { ...a.mask, ...b.mask };
  if (b.confirm) out.confirm = [...(a.confirm ?? []), ...b.confirm];
  if (b.alerts) out.alerts = [...(a.alerts ?? []), ...b.alerts];
  return out;
}

/** The verdict to report for a denial: the first module that denied, else the first that spoke. */
export function denyingVerdict(decision: Decision): Verdict | undefined {
  return decision.verdicts.find((v) => v.effect === 'deny') ?? decision.verdicts[0];
}
