// Replay and impact analysis: the recorded decisions of a period decided again with a draft
// version in place of its module's recorded one, every other module at the version each decision
// was recorded under. What changes — allow→deny (tightening) and deny→allow (loosening) — by
// action and reason, and the changed records themselves, before anyone activates the draft.

import type { Sql } from '../db/database.ts';
import { badInput, clientError } from '../errors.ts';
import { decide, denyingVerdict, type ActivePolicy } from '../policy/engine.ts';
import { engines } from '../policy/engines.ts';
import { checkPermit, type Permit } from '../policy/permit.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { PolicyRequest } from '../policy/types.ts';
import { OPERATOR_VERDICT } from './operator.ts';

export interface ReplayOptions {
  module: string;
  version: number;
  since: Date;
  /** @default now */
  until?: Date | undefined;
  /** Changed records listed at most (every change is counted). @default 100 */
  changesLimit?: number | undefined;
}

/** One decision the draft would make otherwise. */
export interface ReplayChange {
  eventId: string;
  /** Its chain position, once sealed. */
  seq: string | null;
  at: Date;
  action: string;
  actor: string;
  resourceType: string | null;
  resourceId: string | null;
  before: 'ALLOW' | 'DENY';
  after: 'ALLOW' | 'DENY';
  /** The reason codes of the side that denies (the draft's for allow→deny, the recorded ones for deny→allow). */
  reasons: string[];
}

/** Flips of one action for one reason. */
export interface ReplayGroup {
  action: string;
  reason: string;
  allowToDeny: number;
  denyToAllow: number;
}

export interface ReplaySummary {
  /** `module@version` of the draft. */
  draft: string;
  since: Date;
  until: Date;
  /** Decisions decided again. */
  replayed: number;
  unchanged: number;
  allowToDeny: number;
  denyToAllow: number;
  /** Records that could not be decided again, and why (e.g. a recorded version no longer on disk as it was). */
  skipped: { reason: string; count: number }[];
  byAction: ReplayGroup[];
  changes: ReplayChange[];
}

interface Recorded {
  eventId: string;
  seq: string | null;
  at: Date;
  action: string;
  actor: string;
  resourceType: string | null;
  resourceId: string | null;
  decision: 'ALLOW' | 'DENY';
  policies: string[];
  policySha256: string[];
  reasons: string[];
  input: (Omit<PolicyRequest, 'now'> & { now: string }) | null;
  verdicts: { policy: string }[];
}

/**
 * Decides the recorded decisions of [since, until) again under `module@version`. Reads records as
 * they were committed (sealed or not), in insertion order, a thousand at a time. The permit must
 * cover the whole trail (POLICY_DENIED otherwise); an unknown or non-deciding version is BAD_USER_INPUT.
 */
export async function replay(sql: Sql, permit: Permit, store: PolicyStore, { module, version, since, until = new Date(), changesLimit = 100 }: ReplayOptions): Promise<ReplaySummary> {
  checkPermit(permit, 'AuditEvent');
  if (permit.rows.op !== 'all') throw clientError('POLICY_DENIED', 'replaying needs a read of every record');
  const draft = store.get(`${module}@${version}`);
  if (!draft) throw badInput('version', `no valid policy file ${module}@${version} is loaded`);
  if (!engines.get(draft.file.engine)?.decides) throw badInput('module', `${module} decides nothing (engine ${draft.file.engine}): there is nothing to replay`);
  if (since >= until) throw badInput('since', 'must be before until');

  const summary: ReplaySummary = { draft: draft.file.id, since, until, replayed: 0, unchanged: 0, allowToDeny: 0, denyToAllow: 0, skipped: [], byAction: [], changes: [] };
  const skipped = new Map<string, number>();
  const groups = new Map<string, ReplayGroup>();
  const sets = new Map<string, ActivePolicy[] | string>();
  const skip = (reason: string) => skipped.set(reason, (skipped.get(reason) ?? 0) + 1);

  /** The versions a record was decided under, with the draft in its module's place; a string says why not. */
  function versionsOf(r: Recorded): ActivePolicy[] | string {
    const key = `${r.policies.join(',')}|${r.policySha256.join(',')}`;
    let set = sets.get(key);
    if (set === undefined) {
      set = [{ id: draft!.file.id, compiled: draft!.compiled }];
      for (const [i, id] of r.policies.entries()) {
        if (id.startsWith(`${module}@`)) continue;
        const loaded = store.get(id);
        if (!loaded || loaded.file.sha256 !== r.policySha256[i]) {
          set = `${id} is not on disk as it was when recorded`;
          break;
        }
        if (engines.get(loaded.file.engine)?.decides) set.push({ id, compiled: loaded.compiled });
      }
      sets.set(key, set);
    }
    return set;
  }

  const rows = sql<Recorded[]>`
    select e.id as event_id, c.seq, e.at, e.action, e.actor, e.resource_type, e.resource_id, e.decision,
           e.policies, e.policy_sha256, e.reasons, e.detail -> 'input' as input, e.detail -> 'verdicts' as verdicts
      from audit_events e left join audit_chain c on c.event_id = e.id
     where e.at >= ${since} and e.at < ${until}
     order by e.id`.cursor(1000);
  for await (const batch of rows) {
    for (const r of batch) {
      if (r.verdicts.some((v) => v.policy === OPERATOR_VERDICT)) {
        skip('an operator command, decided by no policy');
        continue;
      }
      if (!r.input) {
        skip('no recorded input');
        continue;
      }
      const versions = versionsOf(r);
      if (typeof versions === 'string') {
        skip(versions);
        continue;
      }
      const decision = decide(versions, { ...r.input, now: new Date(r.input.now) });
      summary.replayed++;
      const after = decision.allow ? 'ALLOW' : 'DENY';
      if (after === r.decision) {
        summary.unchanged++;
        continue;
      }
      const loosening = after === 'ALLOW';
      const reasons = loosening ? (r.reasons.length ? r.reasons : ['NO_RULE_ALLOWS']) : (denyingVerdict(decision)?.reasons.map((x) => x.code) ?? ['NO_RULE_ALLOWS']);
      if (loosening) summary.denyToAllow++;
      else summary.allowToDeny++;
      const key = `${r.action} ${reasons[0] ?? 'NO_RULE_ALLOWS'}`;
      const group = groups.get(key) ?? { action: r.action, reason: reasons[0] ?? 'NO_RULE_ALLOWS', allowToDeny: 0, denyToAllow: 0 };
      if (loosening) group.denyToAllow++;
      else group.allowToDeny++;
      groups.set(key, group);
      if (summary.changes.length < changesLimit) {
        summary.changes.push({
          eventId: r.eventId,
          seq: r.seq,
          at: r.at,
          action: r.action,
          actor: r.actor,
          resourceType: r.resourceType,
          resourceId: r.resourceId,
          before: r.decision,
          after,
          reasons: reasons.length ? reasons : ['NO_RULE_ALLOWS'],
        });
      }
    }
  }
  summary.skipped = [...skipped].map(([reason, count]) => ({ reason, count }));
  summary.byAction = [...groups.values()].sort((a, b) => a.action.localeCompare(b.action) || a.reason.localeCompare(b.reason));
  return summary;
}
