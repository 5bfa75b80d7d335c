import type { Sql } from '../db/database.ts';
import type { ShadowOutcome } from './request-policy.ts';

/** Records shadow outcomes off the request path, in batches. */
export interface ShadowLog {
  record(outcome: ShadowOutcome): void;
  /** Writes what is buffered. */
  flush(): Promise<void>;
}

/**
 * Shadow outcomes are observations, not part of the operation: they are buffered and written in
 * one multi-row INSERT per second, so a shadow version costs requests no round trip. Personal
 * data values never go in: only ids, codes and conditions.
 */
export function createShadowLog(sql: Sql, { intervalMs = 1000, log = (m: string) => console.error(m) } = {}): ShadowLog & { close(): Promise<void> } {
  let buffer: ShadowOutcome[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const rows = batch.map((o) => ({
      at: o.at,
      module: o.module,
      enforced: o.enforced,
      shadow: o.shadow,
      action: o.request.action,
      principal_id: o.request.principal.id,
      resource_type: o.request.resource?.type ?? null,
      resource_id: o.request.resource?.id ?? null,
      enforced_allow: o.enforcedDecision.allow,
      shadow_allow: o.shadowDecision.allow,
      detail: JSON.stringify({ enforced: o.enforcedDecision, shadow: o.shadowDecision }),
    }));
    await sql`insert into policy_shadow_outcomes ${sql(rows)}`.catch((error) => log(`policy: could not record ${batch.length} shadow outcomes: ${error}`));
  };
  const timer = setInterval(() => void flush(), intervalMs).unref();
  return {
    record: (outcome) => void buffer.push(outcome),
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
