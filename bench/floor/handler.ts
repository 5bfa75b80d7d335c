// The floor: a hand-written node:http + postgres.js handler for the three workloads of
// bench/http-floor.ts, sending exactly the SQL statements fingate sends for them (the runner records
// both and refuses to measure when they differ). It does what such a handler must and nothing
// more: verify the HS256 token (node:crypto, every request), check the role, scope and purpose the
// workload needs, run the statements, mask, write the audit records the audit trail requires
// (the same INSERT, through fingate's own group commit for reads and inside the transfer's
// transaction for the write), serialize, and answer with one `end`. No GraphQL: it recognises each
// workload by its document, as a route.

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAuditLog } from '../../src/audit/log.ts';
import type { AuditRecord } from '../../src/audit/record.ts';
import type { Sql } from '../../src/db/database.ts';
import { businessDate, businessDay } from '../../src/clock.ts';
import { ageBand } from '../../src/data/customers.ts';
import { keyOf, toGlobalId } from '../../src/ids.ts';
import { applyMask } from '../../src/policy/masks.ts';
import { W1, W2, W3 } from './workloads.ts';

/** What the floor needs: the database client and how tokens are signed. */
export interface FloorOptions {
  sql: Sql;
  /** The HS256 secret (GATEWAY_JWT_SECRET). */
  secret: string;
  /** The business day's time zone. @default "Asia/Shanghai" */
  timeZone?: string;
}

interface Claims {
  sub: string;
  roles: string[];
  scope?: string;
  customer_id?: string;
  exp: number;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

const ID_NUMBER = { keepStart: 3, keepEnd: 4 };
const MOBILE = { keepStart: 3, keepEnd: 4 };
const STAFF_PURPOSES = new Set(['account-servicing', 'transaction-processing', 'risk-control']);
// policies/aml/aml.v2.yaml's 0503: a natural person's transfers of ¥500,000 or more in a day, each side apart
const LARGE_VALUE_CENTS = 500_000_00n;
const SIDE_OF_OWN_SQL = `case when t.type in ('PURCHASE', 'TRANSFER') then 'OUTGOING' else 'INCOMING' end`;
const WINDOWS_MINUTES = [5, 10, 15, 30, 60, 120, 240, 1440];
const OWN_AMOUNTS = 20;

/** What every audit record of the floor says about the policy versions (as many, as long, as fingate's). */
const POLICIES = ['access@4', 'privacy@2', 'suitability@2', 'licensing@1', 'disclosure@1', 'aml@2', 'cooling-off@1', 'risk-questionnaire@1', 'audit@3'];
const SHA256 = POLICIES.map((p) => createHash('sha256').update(p).digest('hex'));
const YEAR_MS = 365.25 * 24 * 3600_000;

export function createFloorHandler({ sql, secret, timeZone = 'Asia/Shanghai' }: FloorOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const key = Buffer.from(secret);
  const audit = createAuditLog(sql);

  /** An audit record of one decision, as the audit module writes one: ids, paths, versions, verdicts, never values. */
  function record(claims: Claims, purpose: string | null, operation: { name: string; query: string }, what: Pick<AuditRecord, 'action' | 'resourceType' | 'resourceIds' | 'fieldPath' | 'fields'> & Partial<AuditRecord>): AuditRecord {
    const at = new Date();
    const transaction = what.action === 'account.transfer';
    return {
      at,
      kind: transaction ? 'transaction' : 'access',
      retainUntil: new Date(at.getTime() + (transaction ? 10 : 3) * YEAR_MS),
      requestId: randomUUID(),
      operation: operation.name,
      operationHash: createHash('sha256').update(operation.query).digest('hex'),
      actor: claims.sub,
      roles: claims.roles,
      purpose,
      customerIds: null,
      masked: [],
      hidden: [],
      decision: 'ALLOW',
      failed: false,
      inTransaction: false,
      policies: POLICIES,
      policySha256: SHA256,
      reasons: ['ROLE_ALLOWS'],
      detail: {
        verdicts: [{ policy: POLICIES[0]!, effect: 'allow', reasons: [{ code: 'ROLE_ALLOWS', message: `roles [${claims.roles.join(', ')}] may ${what.action}`, regulation: null }] }],
        obligations: {},
        shadow: [],
        input: { principal: { id: claims.sub, roles: claims.roles }, purpose, action: what.action, now: at.toISOString() },
      },
      ...what,
    };
  }

  function verify(header: string | undefined): Claims {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
    const [head, body, signature] = token.split('.');
    if (!head || !body || !signature) throw new Refused(401, 'UNAUTHENTICATED');
    const expected = createHmac('sha256', key).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Refused(401, 'UNAUTHENTICATED');
    if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'HS256') throw new Refused(401, 'UNAUTHENTICATED');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims;
    if (!(claims.exp > Date.now() / 1000) || typeof claims.sub !== 'string' || !Array.isArray(claims.roles)) throw new Refused(401, 'UNAUTHENTICATED');
    return claims;
  }

  /** A staff service reading customers for a purpose its role may declare. */
  function serviceReading(request: IncomingMessage, scopes: string): Claims {
    const claims = verify(request.headers.authorization);
    const purpose = request.headers['x-access-purpose'];
    const granted = claims.scope?.split(' ') ?? [];
    if (!claims.roles.includes('service') || !scopes.split(' ').every((s) => granted.includes(s))) throw new Refused(200, 'POLICY_DENIED');
    if (typeof purpose !== 'string' || !STAFF_PURPOSES.has(purpose)) throw new Refused(400, 'BAD_USER_INPUT');
    return claims;
  }

  async function w1(request: IncomingMessage, variables: { id: string }): Promise<unknown> {
    const claims = serviceReading(request, W1.scope);
    const [c] = await sql<{ id: string; name: string; idNumber: string; phone: string; email: string | null; birthDate: string; investorType: string }[]>`
      select c.* from "customers" "c" where c.id = any(${[keyOf(variables.id, 'Customer')]}::bigint[]) and true`;
    if (!c) throw new Refused(200, 'NOT_FOUND');
    const fields = ['id', 'name', 'idNumber', 'phone', 'email', 'ageBand', 'investorType'].map((f) => `customer.${f}`);
    await audit.write([
      record(claims, W1.purpose, { name: 'W1', query: W1.query }, {
        action: 'customer.read',
        resourceType: 'Customer',
        resourceIds: [c.id],
        fieldPath: 'customer',
        fields,
        masked: ['customer.idNumber', 'customer.phone'],
      }),
    ]);
    return {
      customer: {
        id: toGlobalId('Customer', c.id),
        name: c.name,
        idNumber: applyMask(c.idNumber, ID_NUMBER),
        phone: applyMask(c.phone, MOBILE),
        email: c.email,
        ageBand: ageBand(c.birthDate, new Date(), timeZone),
        investorType: c.investorType,
      },
    };
  }

  async function w2(request: IncomingMessage): Promise<unknown> {
    const claims = serviceReading(request, W2.scope);
    const page = await sql<{ id: string; type: string; status: string; amount: string; currency: string; customerId: string; productId: string | null; createdAt: Date }[]>`
      select t.* from "transactions" "t" where true and true order by t.id desc limit ${101}`;
    const rows = page.slice(0, 100);
    const productIds = [...new Set(rows.flatMap((t) => (t.productId ? [t.productId] : [])))];
    const customerIds = [...new Set(rows.map((t) => t.customerId))];
    const [products, customers] = await Promise.all([
      productIds.length ? sql<{ id: string; name: string; issuerId: string }[]>`select p.* from "products" "p" where p.id = any(${productIds}::bigint[]) and true` : [],
      sql<{ id: string; name: string }[]>`select c.* from "customers" "c" where c.id = any(${customerIds}::bigint[]) and true`,
    ]);
    const issuerIds = [...new Set(products.map((p) => p.issuerId))];
    const issuers = issuerIds.length ? await sql<{ id: string; name: string }[]>`select i.* from "institutions" "i" where i.id = any(${issuerIds}::bigint[]) and true` : [];
    const node = 'transactions.edges.node';
    await audit.write([
      record(claims, W2.purpose, { name: 'W2', query: W2.query }, {
        action: 'transaction.read',
        resourceType: 'Transaction',
        resourceIds: rows.map((t) => t.id),
        fieldPath: 'transactions',
        fields: ['transactions', ...['id', 'type', 'status', 'amount', 'currency', 'createdAt'].map((f) => `${node}.${f}`)],
      }),
      record(claims, W2.purpose, { name: 'W2', query: W2.query }, {
        action: 'customer.read',
        resourceType: 'Customer',
        resourceIds: customerIds,
        fieldPath: `${node}.customer`,
        fields: [`${node}.customer`, `${node}.customer.name`],
      }),
    ]);
    const product = new Map(products.map((p) => [p.id, p]));
    const customer = new Map(customers.map((c) => [c.id, c]));
    const issuer = new Map(issuers.map((i) => [i.id, i]));
    return {
      transactions: {
        edges: rows.map((t) => {
          const p = t.productId ? product.get(t.productId) : undefined;
          return {
            node: {
              id: toGlobalId('Transaction', t.id),
              type: t.type,
              status: t.status,
              amount: t.amount,
              currency: t.currency,
              createdAt: t.createdAt.toISOString(),
              product: p ? { name: p.name, issuer: { name: issuer.get(p.issuerId)!.name } } : null,
              customer: { name: customer.get(t.customerId)!.name },
            },
          };
        }),
      },
    };
  }

  async function w3(request: IncomingMessage, variables: { input: { fromAccountId: string; toAccountId: string; amount: string; idempotencyKey: string } }): Promise<unknown> {
    const claims = verify(request.headers.authorization);
    if (!claims.roles.includes('customer') || !claims.customer_id) throw new Refused(200, 'POLICY_DENIED');
    const customerKey = keyOf(claims.customer_id, 'Customer');
    const { input } = variables;
    const from = keyOf(input.fromAccountId, 'Account');
    const to = keyOf(input.toAccountId, 'Account');
    if (!/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/.test(input.amount) || !/^[\x20-\x7E]{1,255}$/.test(input.idempotencyKey) || from === to) throw new Refused(200, 'BAD_USER_INPUT');
    const [units, fraction = ''] = input.amount.split('.');
    const cents = BigInt(units!) * 100n + BigInt(fraction.padEnd(2, '0'));
    if (cents <= 0n) throw new Refused(200, 'BAD_USER_INPUT');
    const amount = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(['transfer', [['amount', amount], ['fromAccountKey', from], ['toAccountKey', to]]]))
      .digest('hex');
    const now = new Date();
    const { start, end } = businessDay(now, timeZone);
    const tx = await sql.reserve();
    try {
      const SIDE_OF_OWN = tx.unsafe(SIDE_OF_OWN_SQL);
      const WITHIN = tx.unsafe(WINDOWS_MINUTES.map((m) => `'${m}', count(*) filter (where age < ${m * 60})`).join(', '));
      const since = new Date(now.getTime() - 1440 * 60_000);
      const [, claimed, parties, accounts, [activity], [customer]] = await Promise.all([
        tx`begin`.execute(),
        tx`
          insert into idempotency_keys as k (principal_id, key, operation, fingerprint, expires_at)
          select ${claims.sub}, ${input.idempotencyKey}, ${'transfer'}, ${fingerprint}, now() + ${'7 days'}::interval
            from (select set_config('lock_timeout', ${'5s'}, true)) as bounded_wait
          on conflict (principal_id, key) do update
            set operation = excluded.operation, fingerprint = excluded.fingerprint, transaction_id = null,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            where k.expires_at < now()
          returning 1`.execute(),
        tx<{ id: string; acting: boolean }[]>`
          select c.id, c.id = (select a.customer_id from accounts a
                                where a.id = ${from} and a.kind = 'CUSTOMER' and ((a.customer_id is not distinct from ${customerKey}) and (a.kind is not distinct from ${'CUSTOMER'}))) as acting
            from customers c
           where c.id in ((select a.customer_id from accounts a
                            where a.id = ${from} and a.kind = 'CUSTOMER' and ((a.customer_id is not distinct from ${customerKey}) and (a.kind is not distinct from ${'CUSTOMER'}))),
                          (select a.customer_id from accounts a where a.id = ${to} and a.kind = 'CUSTOMER'))
           order by c.id
             for no key update`.execute(),
        tx<{ id: string; kind: string; currency: string; balance: string; allowNegative: boolean; permitted: boolean }[]>`
          select a.id, a.kind, a.customer_id, a.product_id, a.currency, a.balance, a.allow_negative,
                 coalesce(((a.customer_id is not distinct from ${customerKey}) and (a.kind is not distinct from ${'CUSTOMER'})), false) as permitted
            from accounts a
           where a.id = any(${[from, to]}::bigint[]) or a.product_id = ${null}
           order by a.id
             for update`.execute(),
        // the aml module's facts, as src/data/facts.ts reads them: each party's day per side, the payer's recent movements
        tx<{ customerId: string; receiverId: string | null; totals: { party: string; side: string; total: string }[] }[]>`
          with acting as (
            select a.customer_id, a.currency from accounts a where a.id = ${from} and a.kind = 'CUSTOMER' and true
          ), receiving as (
            select a.customer_id from accounts a, acting
             where a.id = ${to} and a.kind = 'CUSTOMER' and a.currency = acting.currency and true
          ), today as (
            -- the parties as an array parameter, so each read is a range of the (customer, created_at) indexes
            select t.customer_id as party, ${SIDE_OF_OWN} as side, t.type, t.amount
              from transactions t
             where t.customer_id = any(array(select customer_id from acting union select customer_id from receiving))
               and t.created_at >= ${start} and t.created_at < ${end}
               and t.currency = (select currency from acting) and t.type <> 'REVERSAL' and t.status <> 'REJECTED'
            union all
            select t.receiving_customer_id, 'INCOMING', t.type, t.amount
              from transactions t
             where t.receiving_customer_id = any(array(select customer_id from acting union select customer_id from receiving))
               and t.created_at >= ${start} and t.created_at < ${end}
               and t.currency = (select currency from acting) and t.status <> 'REJECTED'
          ), own as (
            select ${SIDE_OF_OWN} as side, t.amount, t.currency, t.created_at, extract(epoch from (${now}::timestamptz - t.created_at)) as age
              from transactions t
             where t.customer_id = (select customer_id from acting) and t.created_at > ${since}
               and t.type in ('PURCHASE', 'REDEMPTION', 'TRANSFER') and t.status <> 'REJECTED'
          )
          select acting.customer_id::text as customer_id, acting.currency, (select customer_id::text from receiving) as receiver_id,
                 (select coalesce(json_agg(json_build_object('party', party::text, 'side', side, 'type', type, 'total', total::text, 'count', n)), '[]')
                    from (select party, side, type, sum(amount) as total, count(*)::int as n from today group by party, side, type) g) as totals,
                 json_build_object(
                   'within', (select json_build_object(${WITHIN}) from own),
                   'todayAmounts', (select coalesce(json_object_agg(side, amounts), '{}')
                                      from (select side, (array_agg(amount::text order by created_at desc))[1:${OWN_AMOUNTS}] as amounts
                                              from own where created_at >= ${start} and currency = acting.currency group by side) s)
                 ) as own
            from acting`.execute(),
        tx`
          select c.id, c.institution_id, c.investor_type, c.region,
                 extract(year from age(${businessDate(now, timeZone)}::date, c.birth_date))::int as age,
                 r.tolerance, r.lowest_category, r.assessed_at, r.expires_at,
                 q.basis as qualified_basis, q.confirmed_at as qualified_at, q.expires_at as qualified_until
            from customers c
            left join lateral (
              select tolerance, lowest_category, assessed_at, expires_at from risk_assessments
               where customer_id = c.id order by assessed_at desc, id desc limit 1
            ) r on true
            left join lateral (
              select basis, confirmed_at, expires_at from qualified_investor_confirmations
               where customer_id = c.id and expires_at > ${now} order by expires_at desc, id desc limit 1
            ) q on true
           where c.id = (select customer_id from accounts where id = ${from}) and true`.execute(),
      ]);
      const acting = parties.find((p) => p.acting);
      if (!acting || !activity || !customer || claimed.length === 0) throw new Refused(200, 'NOT_FOUND');
      const payer = accounts.find((a) => a.id === from && a.permitted && a.kind === 'CUSTOMER');
      const payee = accounts.find((a) => a.id === to && a.kind === 'CUSTOMER' && a.currency === payer?.currency);
      if (!payer || !payee) throw new Refused(200, 'NOT_FOUND');
      if (!payer.allowNegative && BigInt(payer.balance.replace('.', '')) < cents) throw new Refused(200, 'INSUFFICIENT_FUNDS');
      // the large-value rule by hand, each side of each party's day apart (no alert at W3's amounts, but decided)
      const sideTotal = (party: string | null, side: string) =>
        activity.totals.filter((t) => t.party === party && t.side === side).reduce((sum, t) => sum + BigInt(t.total.replace('.', '')), 0n);
      const large = sideTotal(activity.customerId, 'OUTGOING') + cents >= LARGE_VALUE_CENTS || sideTotal(activity.receiverId, 'INCOMING') + cents >= LARGE_VALUE_CENTS;
      if (large) throw new Refused(200, 'BAD_USER_INPUT'); // the floor books no alerts: W3 never gets here
      const movement = record(claims, null, { name: 'W3', query: W3.query }, {
        action: 'account.transfer',
        resourceType: 'Account',
        resourceIds: [from],
        customerIds: [acting.id],
        fieldPath: 'Mutation.transfer',
        fields: ['transfer'],
        inTransaction: true,
      });
      const [[row]] = await Promise.all([
        tx<{ id: string }[]>`
          with t as (
            insert into transactions (type, status, amount, currency, customer_id, receiving_customer_id, product_id, reverses_id, created_at)
            values (${'TRANSFER'}, ${'COMPLETED'}, ${amount}, ${payer.currency}, ${acting.id}, ${activity.receiverId}, ${null}, ${null}, ${now})
            returning *
          ), postings as (
            insert into postings (transaction_id, account_id, amount)
            select t.id, x.account_id, x.amount
              from t, unnest(${[from, to]}::bigint[], ${[`-${amount}`, amount]}::numeric[]) as x(account_id, amount)
          ), alongside_0 as (
            update idempotency_keys k set transaction_id = t.id from t
             where k.principal_id = ${claims.sub} and k.key = ${input.idempotencyKey})
          select id, type, status, amount, currency, customer_id, product_id, created_at from t`.execute(),
        audit.writeIn(tx as unknown as Sql, [movement]),
        tx`commit`.execute(),
      ]);
      tx.release();
      // read back under the caller's own rows, as the gateway does with a write's payload
      const [t] = await sql<{ id: string; status: string; amount: string }[]>`
        select t.* from "transactions" "t" where t.id = any(${[row!.id]}::bigint[]) and (t.customer_id is not distinct from ${customerKey})`;
      await audit.write([
        record(claims, null, { name: 'W3', query: W3.query }, {
          action: 'transaction.read',
          resourceType: 'Transaction',
          resourceIds: [t!.id],
          fieldPath: 'transfer',
          fields: ['transfer', 'transfer.id', 'transfer.status', 'transfer.amount'],
        }),
      ]);
      return { transfer: { id: toGlobalId('Transaction', t!.id), status: t!.status, amount: t!.amount } };
    } catch (error) {
      await tx`rollback`.catch(() => {});
      tx.release();
      throw error;
    }
  }

  const routes = new Map<string, (request: IncomingMessage, variables: any) => Promise<unknown>>([
    [W1.query, w1],
    [W2.query, w2],
    [W3.query, w3],
  ]);

  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let route: ((request: IncomingMessage, variables: any) => Promise<unknown>) | undefined;
      let variables: unknown;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { query: string; variables?: unknown };
        route = routes.get(body.query);
        variables = body.variables ?? {};
      } catch {
        // answered below
      }
      if (request.method !== 'POST' || request.url !== '/graphql' || !route) return send(response, 400, { errors: [{ message: 'unknown operation', extensions: { code: 'BAD_USER_INPUT' } }] });
      route(request, variables).then(
        (data) => send(response, 200, { data }),
        (error) => {
          const refused = error instanceof Refused ? error : new Refused(200, 'INTERNAL_SERVER_ERROR');
          if (!(error instanceof Refused)) console.error(error);
          send(response, refused.status, { errors: [{ message: refused.code, extensions: { code: refused.code } }] });
        },
      );
    });
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
