// Where a shadow version would have decided differently, recorded off the request path: what
// compliance reads before enforcing it.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShadowLog } from '../../src/policy/shadow-log.ts';
import type { DecisionRecord, DecisionStream } from '../../src/policy/types.ts';
import { freshDatabase } from '../support/database.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.drop());

const decision = (overrides: Partial<DecisionRecord>): DecisionRecord => ({
  action: 'customer.read',
  resourceType: 'Customer',
  resourceIds: ['7'],
  fieldPaths: ['customer.name'],
  masked: [],
  hidden: [],
  outcome: 'allow',
  verdicts: [{ policy: 'access@4', effect: 'allow', reasons: [] }],
  obligations: {},
  shadow: [],
  input: { principal: { id: 'advisor-1', roles: ['advisor'], scopes: [] }, action: 'customer.read', resource: { type: 'Customer', id: '7', attributes: {} }, context: {} } as never,
  inTransaction: false,
  failed: false,
  ...overrides,
});

const stream = (decisions: DecisionRecord[]): DecisionStream => ({
  requestId: 'r-1',
  operationName: null,
  operationHash: null,
  principal: { id: 'advisor-1', roles: ['advisor'], scopes: [] } as never,
  purpose: null,
  at: new Date(),
  policies: [{ id: 'access@4', sha256: 'a'.repeat(64) }],
  decisions,
});

const recorded = () =>
  db.sql`select module, enforced, shadow, action, principal_id as "principalId", resource_type as "resourceType", resource_id as "resourceId",
                enforced_allow as "enforcedAllow", shadow_allow as "shadowAllow", detail
           from policy_shadow_outcomes order by id`;

describe('the shadow log', () => {
  it('writes each disagreement on its own within its interval, naming the enforced version or none, with its detail as JSON', async () => {
    const log = createShadowLog(db.sql, { intervalMs: 50, log: () => {} });
    try {
      log.request(
        stream([
          decision({ shadow: [{ policy: 'access@5', outcome: 'deny', obligations: {} }] }),
          decision({ action: 'customer.update', outcome: 'deny', input: { resource: undefined } as never, shadow: [{ policy: 'suitability@3', outcome: 'allow', obligations: { mask: ['phone'] } as never }] }),
          decision({ action: 'account.read' }),
        ]),
      );
      let rows = await recorded();
      for (const end = Date.now() + 5000; rows.length === 0 && Date.now() < end; rows = await recorded()) await new Promise((r) => setTimeout(r, 20));
      expect(rows).toEqual([
        { module: 'access', enforced: 'access@4', shadow: 'access@5', action: 'customer.read', principalId: 'advisor-1', resourceType: 'Customer', resourceId: '7', enforcedAllow: true, shadowAllow: false,
          detail: { enforced: { verdicts: [{ policy: 'access@4', effect: 'allow', reasons: [] }], obligations: {} }, shadow: { obligations: {} } } },
        { module: 'suitability', enforced: 'suitability@none', shadow: 'suitability@3', action: 'customer.update', principalId: 'advisor-1', resourceType: 'Customer', resourceId: null, enforcedAllow: false, shadowAllow: true,
          detail: { enforced: { verdicts: [{ policy: 'access@4', effect: 'allow', reasons: [] }], obligations: {} }, shadow: { obligations: { mask: ['phone'] } } } },
      ]);
    } finally {
      await log.close();
    }
  });

  it('answers the README’s query of what a shadow version would change', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const query = /```sql\n(select shadow, action,[^`]*policy_shadow_outcomes[^`]*)```/.exec(readme)![1]!;
    expect(await db.sql.unsafe(query)).toEqual([
      { shadow: 'access@5', action: 'customer.read', wouldDeny: '1', wouldAllow: '0' },
      { shadow: 'suitability@3', action: 'customer.update', wouldDeny: '0', wouldAllow: '1' },
    ]);
  });

  it('writes what it holds when closed, and nothing it is given after', async () => {
    const own = await freshDatabase();
    const log = createShadowLog(own.sql, { intervalMs: 20, log: () => {} });
    const count = async () => (await own.sql<{ n: number }[]>`select count(*)::int as n from policy_shadow_outcomes`)[0]!.n;
    try {
      const disagreement = stream([decision({ shadow: [{ policy: 'access@5', outcome: 'deny', obligations: {} }] })]);
      log.request(disagreement);
      await log.close();
      expect(await count()).toBe(1);
      log.request(disagreement);
      await new Promise((r) => setTimeout(r, 150));
      expect(await count()).toBe(1);
    } finally {
      await own.drop();
    }
  });

  it('reports a write that fails and goes on, never failing the request that fed it', async () => {
    const problems: string[] = [];
    const broken = await freshDatabase();
    await broken.sql`drop table policy_shadow_outcomes`;
    const log = createShadowLog(broken.sql, { intervalMs: 60_000, log: (m) => problems.push(m) });
    try {
      log.request(stream([decision({ shadow: [{ policy: 'access@5', outcome: 'deny', obligations: {} }] })]));
      await log.flush();
      expect(problems).toHaveLength(1);
      await log.flush();
      expect(problems).toHaveLength(1);
    } finally {
      await log.close();
      await broken.drop();
    }
  });
});
