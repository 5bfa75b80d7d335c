import { mergeObligations } from './obligations.ts';
import type { CompiledPolicy, Decision, ModuleDecision, PolicyRequest, Verdict } from './types.ts';

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
  for (const policy of policies) votes.push({ id: policy.id, decision: evaluate(policy, request) });
  return combine(votes);
}

function evaluate(policy: ActivePolicy, request: PolicyRequest): ModuleDecision {
  try {
    const decision = policy.compiled.decide(request);
    // no decision at all throws here too, and is caught as any failure is
    if (decision.effect !== 'allow' && decision.effect !== 'deny' && decision.effect !== 'abstain') {
      // Stryker disable next-line StringLiteral: message text, tests assert codes
      throw new Error('no effect');
    }
    return decision;
  } catch (error) {
    // the details are for operators; the caller learns which policy failed, and that it denied
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    console.error(`policy ${policy.id} failed to decide ${request.action}:`, error);
    return {
      effect: 'deny',
      reasons: [{ code: 'POLICY_ERROR', message: `${policy.id} could not decide this request, so it is denied`, regulation: null }],
      obligations: {},
    };
  }
}

/**
 * Combines module votes: any deny wins, and at least one allow is needed. The obligations of
 * allowing and abstaining modules all apply (a module may oblige without deciding access).
 */
export function combine(votes: readonly { id: string; decision: ModuleDecision }[]): Decision {
  const verdicts: Verdict[] = [];
  let allowed = false;
  let denied = false;
  for (const { id, decision } of votes) {
    if (decision.effect === 'abstain' && decision.reasons.length === 0 && isEmpty(decision.obligations)) continue;
    verdicts.push({ policy: id, effect: decision.effect, reasons: decision.reasons });
    if (decision.effect === 'allow') allowed = true;
    else if (decision.effect === 'deny') denied = true;
  }
  if (denied || !allowed) {
    // a denial still says what the caller could do about it (e.g. a confirmation to give)
    const confirm = votes.flatMap((v) => (v.decision.effect === 'deny' ? (v.decision.obligations.confirm ?? []) : []));
    return { allow: false, verdicts, obligations: confirm.length ? { confirm } : {} };
  }
  return { allow: true, verdicts, obligations: mergeObligations(votes.map((v) => v.decision.obligations)) };
}

const isEmpty = (obligations: object) => Object.keys(obligations).length === 0;

/** The verdict to report for a denial: the first module that denied, else the first that spoke. */
export function denyingVerdict(decision: Decision): Verdict | undefined {
  return decision.verdicts.find((v) => v.effect === 'deny') ?? decision.verdicts[0];
}
