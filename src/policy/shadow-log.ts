import type { Sql } from '../db/database.ts';
import type { DecisionStream, Observer } from './types.ts';

/** Records the decisions a shadow version would have made differently, off the request path. */
export interface ShadowLog extends Observer {
  /** Buffers the request's shadow disagreements. */
  request(stream: DecisionStream): void;
  /** Writes what is buffered. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An observer of the decision stream: shadow disagreements are observations, not part of the
 * operation, so they are buffered and written in one multi-row INSERT per second and cost requests
 * no round trip. Personal data values never go in: only ids, codes and conditions.
 */
export function createShadowLog(sql: Sql, { intervalMs = 1000, log = (m: string) => console.error(m) } = {}): ShadowLog {
  let buffer: Record<string, unknown>[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const rows = buffer;
    buffer = [];
    await sql`insert into policy_shadow_outcomes ${sql(rows)}`.catch((error) => log(`policy: could not record ${rows.length} shadow outcomes: ${error}`));
  };
  const timer = setInterval(() => void flush(), intervalMs).unref();
  return {
    request(stream: DecisionStream) {
      for (const decision of stream.decisions) {
        for (const shadow of decision.shadow) {
          const module = shadow.policy.slice(0, shadow.policy.indexOf('@'));
          buffer.push({
            at: stream.at,
            module,
            enforced: stream.policies.find((p) => p.id.startsWith(`${module}@`))?.id ?? `${module}@none`,
            shadow: shadow.policy,
            action: decision.action,
            principal_id: stream.principal.id,
            resource_type: decision.resourceType,
            resource_id: decision.input.resource?.id ?? null,
            enforced_allow: decision.outcome === 'allow',
            shadow_allow: shadow.outcome === 'allow',
            detail: sql.json({ enforced: { verdicts: decision.verdicts, obligations: decision.obligations }, shadow: { obligations: shadow.obligations } } as never),
          });
        }
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
