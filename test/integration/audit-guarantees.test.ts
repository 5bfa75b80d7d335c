// The operation's guarantees (DESIGN.md "Operation"): a write and its records commit together or
// not at all; nothing a request read leaves before its records are committed; if recording fails
// the operation fails, masked; reads share commits; and the trail is append-only in the database.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { balanceOf, newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let compliance: string;
/** What the gateway logged for operators: each error with the id of its request. */
const logged: { error: unknown; requestId: string }[] = [];

beforeAll(async () => {
  gw = await startGateway({ customers: 20, logError: (error, requestId) => void logged.push({ error, requestId }) });
  compliance = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());

const countOf = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;

describe('when the audit insert fails', () => {
  // a database that refuses this principal's records: the audit store failing, for one caller
  beforeAll(() =>
    gw.asOwner(async (sql) => {
      await sql`create function refuse_breaker() returns trigger language plpgsql as $$
                begin if new.actor = 'audit-breaker' then raise exception 'audit store unavailable'; end if; return new; end $$`;
      await sql`create trigger refuse_breaker before insert on audit_events for each row execute function refuse_breaker()`;
    }),
  );
  afterAll(() => gw.asOwner(async (sql) => void (await sql`drop function refuse_breaker() cascade`)));

  it('a transfer fails with a masked error and moves no money: the write and its records are one transaction', async () => {
    const from = await newCustomer(gw.db.sql);
    const to = await newCustomer(gw.db.sql);
    const [a, b] = [await openAccount(gw.db.sql, from, '100.00'), await openAccount(gw.db.sql, to, '0')];
    const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', from), sub: 'audit-breaker' });
    const key = randomUUID();
    const response = await gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, {
      token,
      variables: { input: { fromAccountId: toGlobalId('Account', a), toAccountId: toGlobalId('Account', b), amount: '10.00', idempotencyKey: key } },
    });
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(response)).not.toMatch(/audit store|audit_events|refuse_breaker/);
    expect([await balanceOf(gw.db.sql, a), await balanceOf(gw.db.sql, b)]).toEqual(['100.00', '0.00']);
    expect(await countOf(gw.db.sql`select count(*)::int as n from idempotency_keys where key = ${key}`)).toBe(0);
    expect(await countOf(gw.db.sql`select count(*)::int as n from audit_events where actor = 'audit-breaker'`)).toBe(0);
  });

  it("a read returns none of the data it read, only a masked error, while other callers' reads succeed", async () => {
    const who = await newCustomer(gw.db.sql);
    const [{ name }] = await gw.db.sql<[{ name: string }]>`select name from customers where id = ${who}`;
    const breaker = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', who), sub: 'audit-breaker' });
    const others = await Promise.all(Array.from({ length: 8 }, (_, i) => gw.customerToken(String(i + 1))));
    const requestId = `breaker-${randomUUID()}`;
    const [refused, ...served] = await Promise.all(
      [breaker, ...others].map((token, i) => gw.request(`{ me { id name idNumber } }`, { token, headers: i === 0 ? { 'x-request-id': requestId } : {} })),
    );
    expect(refused!.data ?? null).toBeNull();
    expect(refused!.errors?.map((e) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    // the operator's log has what the caller does not: the cause, under the request's id
    expect(logged.filter((l) => l.requestId === requestId).map((l) => String(l.error))).toContainEqual(expect.stringContaining('audit store unavailable'));
    expect(JSON.stringify(refused)).not.toContain(name);
    for (const response of served) {
      expect(response.errors).toBeUndefined();
      expect(response.data.me.id).toMatch(/./);
    }
  });
});

describe('recording before responding', () => {
  it("every read's records are committed by the time its response arrives", async () => {
    const requests = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all(
      requests.map(async (requestId) => {
        const response = await gw.request(`{ customers(first: 3) { edges { node { id } } } }`, { token: compliance, headers: { 'x-request-id': requestId } });
        expect(response.errors).toBeUndefined();
        // read at once, on another connection: only committed rows are visible there
        expect(await countOf(gw.db.sql`select count(*)::int as n from audit_events where request_id = ${requestId}`)).toBe(1);
      }),
    );
  });

  it('concurrent reads share commits: their records go in fewer transactions than there are requests', async () => {
    const prefix = `gc-${randomUUID()}`;
    const n = 60;
    await Promise.all(Array.from({ length: n }, (_, i) => gw.request(`{ customers(first: 1) { edges { node { id } } } }`, { token: compliance, headers: { 'x-request-id': `${prefix}-${i}` } })));
    const [row] = await gw.db.sql<[{ records: number; commits: number }]>`
      select count(*)::int as records, count(distinct xid)::int as commits from audit_events where request_id like ${`${prefix}-%`}`;
    expect(row.records).toBe(n);
    expect(row.commits).toBeLessThan(n);
  });
});

describe('the trail is append-only in the database', () => {
  const tables = ['audit_events', 'audit_chain', 'audit_checkpoints'];

  beforeAll(async () => {
    await gw.request(`{ customers(first: 1) { edges { node { id } } } }`, { token: compliance });
    await gw.seal();
    await gw.sealer.checkpointNow();
  });

  it("refuses the gateway's own role UPDATE, DELETE, TRUNCATE and disabling triggers on every audit table", async () => {
    for (const table of tables) {
      const column = table === 'audit_events' ? 'actor' : 'hash';
      for (const statement of [
        `update ${table} set ${column} = ${column}`,
        `delete from ${table}`,
        `truncate ${table}`,
        `alter table ${table} disable trigger all`,
      ]) {
        await expect(gw.app.unsafe(statement), `${statement} as the application role`).rejects.toMatchObject({ code: '42501' });
      }
    }
  });

  it("grants the gateway's own role no UPDATE, DELETE or TRUNCATE on any compliance record, only INSERT", async () => {
    const appendOnly = ['audit_events', 'policy_activations', 'product_status_changes', 'qualified_investor_confirmations', 'disclosure_acknowledgements', 'risk_assessments', 'postings', 'risk_alert_reviews', 'purchase_confirmations'];
    const rows = await gw.asOwner(
      (sql) => sql<{ table: string; insert: boolean; change: boolean }[]>`
        select t as table, has_table_privilege('fingate_app', t, 'INSERT') as insert,
               has_table_privilege('fingate_app', t, 'UPDATE') or has_table_privilege('fingate_app', t, 'DELETE')
               or has_table_privilege('fingate_app', t, 'TRUNCATE') as change
        from unnest(${appendOnly}::text[]) t`,
    );
    expect(rows).toEqual(appendOnly.map((table) => ({ table, insert: true, change: false })));
    const [steps] = await gw.asOwner((sql) => sql`select has_table_privilege('fingate_app', 'product_status_steps', 'INSERT, UPDATE, DELETE') as writable`);
    expect(steps).toEqual({ writable: false });
  });

  it('refuses even the owner UPDATE and DELETE of a record (the triggers)', async () => {
    await expect(gw.asOwner((sql) => sql`update audit_events set actor = 'someone-else'`)).rejects.toMatchObject({ code: '42501' });
    await expect(gw.asOwner((sql) => sql`delete from audit_chain`)).rejects.toMatchObject({ code: '42501' });
  });
});
