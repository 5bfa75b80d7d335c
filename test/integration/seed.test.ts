import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startPolicyRuntime, type PolicyRuntime } from '../../src/policy/runtime.ts';
import { seed, type SeedSummary } from '../../src/seed/seed.ts';
import { freshDatabase } from '../support/database.ts';
import { catalogue, modules } from '../support/modules.ts';

type Db = Awaited<ReturnType<typeof freshDatabase>>;

describe('seeding a database', () => {
  let db: Db;
  let runtime: PolicyRuntime;
  let summary: SeedSummary;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    // a new database: the runtime bootstraps its activations, and the seed follows the versions in force
    runtime = await startPolicyRuntime({ db, dir: loadConfig({}).policiesDir, modules, catalogue, watch: false, log: () => {} });
    summary = await seed(db.sql, {
      customers: 300,
      seed: 'db-test',
      policies: runtime.at(new Date()),
      timeZone: loadConfig({}).timeZone,
      batchSize: 120,
      onProgress: (done, total) => progress.push([done, total]),
    });
  });
  afterAll(async () => {
    await runtime?.close();
    await db?.drop();
  });

  it('reports progress after each batch and counts what it inserted', async () => {
    expect(progress).toEqual([[120, 300], [240, 300], [300, 300]]);
    const [counts] = await db.sql<Record<string, number>[]>`
      select (select count(*)::int from institutions) as institutions, (select count(*)::int from customers) as customers,
             (select count(*)::int from products) as products, (select count(*)::int from accounts) as accounts,
             (select count(*)::int from transactions) as transactions, (select count(*)::int from risk_alerts) as alerts`;
    expect(counts).toEqual({
      institutions: summary.institutions,
      customers: 300,
      products: summary.products,
      accounts: summary.accounts,
      transactions: summary.transactions,
      alerts: summary.alerts,
    });
  });

  it('leaves balances equal to the postings, summing to zero, none negative but clearing', async () => {
    const [row] = await db.sql<{ total: string; mismatched: number; negative: number }[]>`
      select (select sum(balance)::text from accounts) as total,
             (select count(*)::int from accounts a
               where a.balance <> coalesce((select sum(amount) from postings p where p.account_id = a.id), 0)) as mismatched,
             (select count(*)::int from accounts where balance < 0 and kind <> 'SYSTEM') as negative`;
    expect(row).toEqual({ total: '0.00', mismatched: 0, negative: 0 });
  });

  it('leaves every alert past OPEN with the reviews that brought it there, by the demo compliance officer, after it was raised', async () => {
    const rows = await db.sql<{ status: string; steps: string[]; reviewers: string[]; early: number }[]>`
      select a.status, coalesce(array_agg(r.from_status || '>' || r.to_status order by r.id) filter (where r.id is not null), '{}') as steps,
             coalesce(array_agg(distinct r.reviewer) filter (where r.id is not null), '{}') as reviewers,
             count(*) filter (where r.reviewed_at <= a.created_at or r.reviewed_at > now())::int as early
        from risk_alerts a left join risk_alert_reviews r on r.alert_id = a.id
       group by a.id, a.status`;
    const expected: Record<string, string[]> = {
      OPEN: [],
      UNDER_REVIEW: ['OPEN>UNDER_REVIEW'],
      CLOSED: ['OPEN>UNDER_REVIEW', 'UNDER_REVIEW>CLOSED'],
      REPORTED: ['OPEN>UNDER_REVIEW', 'UNDER_REVIEW>REPORTED'],
    };
    // reviewed alerts (a history of two steps) are there to check
    expect(rows.filter((r) => r.status === 'CLOSED' || r.status === 'REPORTED').length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.steps).toEqual(expected[row.status]);
      expect(row.reviewers).toEqual(row.steps.length ? ['demo-compliance'] : []);
      expect(row.early).toBe(0);
    }
  });

  it('records the risk warning each buyer confirmed with their purchase, as the gateway does: text, sha256, suitability version', async () => {
    const [row] = await db.sql<{ confirmed: number; overridden: number; unmatched: number; wrong: number }[]>`
      select (select count(*)::int from purchase_confirmations) as confirmed,
             (select count(distinct transaction_id)::int from risk_alerts where kind = 'SUITABILITY_OVERRIDE') as overridden,
             (select count(*)::int from (
                select transaction_id from purchase_confirmations
                 except select transaction_id from risk_alerts where kind = 'SUITABILITY_OVERRIDE') x) as unmatched,
             (select count(*)::int from purchase_confirmations c join transactions t on t.id = c.transaction_id
               where c.code <> 'CONFIRM_RISK_MISMATCH' or c.policy !~ '^suitability@' or c.confirmed_at <> t.created_at
                  or c.warning_sha256 <> encode(sha256(convert_to(c.warning, 'UTF8')), 'hex') or t.type <> 'PURCHASE') as wrong`;
    expect(row!.confirmed).toBeGreaterThan(0);
    expect(row).toEqual({ confirmed: row!.overridden, overridden: row!.overridden, unmatched: 0, wrong: 0 });
  });

  it('moves the identity sequences past the seeded ids', async () => {
    const [customer] = await db.sql<{ id: string }[]>`
      insert into customers (institution_id, name, id_number, phone, birth_date, investor_type, region)
      values (1, '测试', '11010519491231002X', '13800000000', '1949-12-31', 'ORDINARY', '110000') returning id`;
    expect(customer?.id).toBe('301');
  });

  it('refuses to seed a database that already has customers', async () => {
    await expect(seed(db.sql, { customers: 5, seed: 'again', policies: runtime.at(new Date()), timeZone: loadConfig({}).timeZone })).rejects.toThrow(Error);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from customers`;
    expect(row?.n).toBe(301);
  });
});
