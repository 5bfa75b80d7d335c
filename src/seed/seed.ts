// Loads the deterministic demo data (demo/) into an empty, migrated database. Customers go in
// batches, each batch in one database transaction; rows travel as one JSON document per table and
// statement, which keeps every insert a single statement (the ledger trigger checks all postings
// of a statement at once) and is fast on a real server and on PGlite alike.

import type { Database, Sql, Tx } from '../db/database.ts';
import { startPolicyRuntime, type RuntimeOptions } from '../policy/runtime.ts';
import { demoGenerator, type DemoOptions } from './demo/generator.ts';
import type { ReferenceData } from './demo/reference.ts';
import { appendBatch, emptyBatch, type CustomerBatch, type RiskAlertRow } from './demo/rows.ts';
import { DAY } from './demo/time.ts';

/** What `seed` loads, and how it reports progress. */
export interface SeedOptions extends DemoOptions {
  /** Called after each committed batch with the customers loaded so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Customers per database transaction. @default 4000 */
  batchSize?: number;
}

/** How many rows `seed` inserted, by table. */
export interface SeedSummary {
  institutions: number;
  licences: number;
  customers: number;
  riskAssessments: number;
  products: number;
  disclosures: number;
  accounts: number;
  transactions: number;
  postings: number;
  positions: number;
  acknowledgements: number;
  alerts: number;
}

type Columns = Readonly<Record<string, string>>;

// Column name → SQL type, in the order of the row interfaces in demo/rows.ts.
const INSTITUTIONS: Columns = { id: 'bigint', name: 'text', kind: 'text', created_at: 'timestamptz' };
const LICENCES: Columns = {
  id: 'bigint',
  institution_id: 'bigint',
  type: 'text',
  number: 'text',
  valid_from: 'date',
  valid_to: 'date',
  regions: 'text[]',
  revoked: 'boolean',
};
const PRODUCTS: Columns = {
  id: 'bigint',
  code: 'text',
  name: 'text',
  category: 'text',
  risk_level: 'text',
  status: 'text',
  offering: 'text',
  investment_linked: 'boolean',
  issuer_id: 'bigint',
  distributor_id: 'bigint',
  currency: 'char(3)',
  min_amount: 'numeric',
  created_at: 'timestamptz',
};
const DISCLOSURES: Columns = {
  id: 'bigint',
  product_id: 'bigint',
  kind: 'text',
  version: 'integer',
  title: 'text',
  body: 'text',
  published_at: 'timestamptz',
};
const CUSTOMERS: Columns = {
  id: 'bigint',
  institution_id: 'bigint',
  name: 'text',
  id_number: 'text',
  phone: 'text',
  email: 'text',
  birth_date: 'date',
  investor_type: 'text',
  region: 'text',
  created_at: 'timestamptz',
};
const RISK_ASSESSMENTS: Columns = {
  customer_id: 'bigint',
  tolerance: 'text',
  lowest_category: 'boolean',
  answers: 'integer[]',
  score: 'integer',
  assessed_at: 'timestamptz',
  expires_at: 'timestamptz',
};
const ACCOUNTS: Columns = {
  id: 'bigint',
  kind: 'text',
  customer_id: 'bigint',
  product_id: 'bigint',
  name: 'text',
  currency: 'char(3)',
  card_number: 'text',
  allow_negative: 'boolean',
  created_at: 'timestamptz',
};
const TRANSACTIONS: Columns = {
  id: 'bigint',
  type: 'text',
  status: 'text',
  amount: 'numeric',
  currency: 'char(3)',
  customer_id: 'bigint',
  product_id: 'bigint',
  receiving_customer_id: 'bigint',
  created_at: 'timestamptz',
};
const POSTINGS: Columns = { transaction_id: 'bigint', account_id: 'bigint', amount: 'numeric' };
const POSITIONS: Columns = { customer_id: 'bigint', product_id: 'bigint', amount: 'numeric' };
const ACKNOWLEDGEMENTS: Columns = { customer_id: 'bigint', disclosure_id: 'bigint', acknowledged_at: 'timestamptz' };
const RISK_ALERTS: Columns = {
  kind: 'text',
  status: 'text',
  customer_id: 'bigint',
  transaction_id: 'bigint',
  rule: 'text',
  side: 'text',
  reason: 'text',
  due_at: 'timestamptz',
  created_at: 'timestamptz',
};

const PURCHASE_CONFIRMATIONS: Columns = {
  transaction_id: 'bigint',
  code: 'text',
  policy: 'text',
  policy_sha256: 'text',
  warning: 'text',
  warning_sha256: 'text',
  warning_ref: 'text',
  echoed: 'boolean',
  confirmed_at: 'timestamptz',
};

/** Customers generated between two turns of the event loop (a slice of a batch). */
const SLICE = 250;

/** Tables whose ids the seed chooses itself; their identity sequences are moved past them at the end. */
const EXPLICIT_ID_TABLES = ['institutions', 'licences', 'products', 'disclosures', 'customers', 'accounts', 'transactions'] as const;
/** Tables that must be empty before seeding, since the seed picks their ids from 1. */
const MUST_BE_EMPTY = ['customers', ...EXPLICIT_ID_TABLES.filter((t) => t !== 'customers'), 'postings'] as const;

/**
 * Inserts deterministic demo data (see demo/generator.ts) into an already-migrated, empty database: the
 * reference data first, then `options.customers` customers with their histories, a batch per
 * transaction. The histories follow `options.policies`: its versions decide every purchase,
 * redemption and transfer, and raise their alerts. Throws before writing anything if the database already
 * holds data.
 */
export async function seed(sql: Sql, options: SeedOptions): Promise<SeedSummary> {
  const batchSize = options.batchSize ?? 4000;
  await assertEmpty(sql);
  const generator = demoGenerator(options);
  const summary = await sql.begin((tx) => insertReference(tx, generator.reference));

  let done = 0;
  const count = (batch: CustomerBatch) => {
    done += batch.customers.length;
    summary.customers += batch.customers.length;
    summary.riskAssessments += batch.riskAssessments.length;
    summary.accounts += batch.accounts.length;
    summary.transactions += batch.transactions.length;
    summary.postings += batch.postings.length;
    summary.positions += batch.positions.length;
    summary.acknowledgements += batch.acknowledgements.length;
    summary.alerts += batch.alerts.length;
    options.onProgress?.(done, options.customers);
  };
  // The database writes one batch while the next is generated (generating is the CPU-bound part).
  // Customers are generated a slice at a time, with a turn of the event loop between slices, so
  // that the connection keeps sending the batch being written and reading its results meanwhile.
  const writer = batchWriter(sql, count);
  let batch = emptyBatch();
  for (const slice of generator.batches(gcd(batchSize, SLICE))) {
    appendBatch(batch, slice);
    if (batch.customers.length < batchSize) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    await writer.write(batch);
    batch = emptyBatch();
  }
  if (batch.customers.length > 0) await writer.write(batch);
  await writer.finish();

  for (const table of EXPLICIT_ID_TABLES) {
    // setval(…, null) is a no-op, which is right for a table the seed left empty
    await sql.unsafe(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
  }
  return summary;
}

/** Where the policy versions the demo follows come from: the files and modules a policy runtime loads. */
export type PolicySource = Omit<RuntimeOptions, 'db' | 'watch'>;

/**
 * `seed` under the policy versions in force on this database now: a policy runtime over it (which
 * bootstraps a new database's activations) is opened for the seeding and closed after. For callers
 * that seed before their own runtime starts (as the owner, before the application role takes over).
 */
export async function seedUnderPolicies(db: Database, options: Omit<SeedOptions, 'policies'>, source: PolicySource): Promise<SeedSummary> {
  const runtime = await startPolicyRuntime({ ...source, db, watch: false });
  try {
    return await seed(db.sql, { ...options, policies: runtime.at(new Date()) });
  } finally {
    await runtime.close();
  }
}

async function assertEmpty(sql: Sql): Promise<void> {
  const [migrated] = await sql<{ ok: boolean }[]>`select to_regclass('public.customers') is not null as ok`;
  if (!migrated?.ok) throw new Error('seed: the database is not migrated (no customers table); run the migrations first');
  for (const table of MUST_BE_EMPTY) {
    const [row] = await sql.unsafe<{ filled: boolean }[]>(`select exists (select 1 from ${table}) as filled`);
    if (row?.filled) {
      throw new Error(`seed: the database already has ${table}; demo data goes only into an empty database`);
    }
  }
}

async function insertReference(tx: Tx, reference: ReferenceData): Promise<SeedSummary> {
  await insert(tx, 'institutions', INSTITUTIONS, reference.institutions, true);
  await insert(tx, 'licences', LICENCES, reference.licences, true);
  await insert(tx, 'products', PRODUCTS, reference.products, true);
  await insert(tx, 'disclosures', DISCLOSURES, reference.disclosures, true);
  await insert(tx, 'accounts', ACCOUNTS, reference.accounts, true);
  return {
    institutions: reference.institutions.length,
    licences: reference.licences.length,
    customers: 0,
    riskAssessments: 0,
    products: reference.products.length,
    disclosures: reference.disclosures.length,
    accounts: reference.accounts.length,
    transactions: 0,
    postings: 0,
    positions: 0,
    acknowledgements: 0,
    alerts: 0,
  };
}

/** Writes batches one after another, each in a transaction of its own, while the caller prepares the next. */
function batchWriter(sql: Sql, onCommit: (batch: CustomerBatch) => void) {
  let writing: { batch: CustomerBatch; committed: Promise<void> } | undefined;
  const finish = async () => {
    if (!writing) return;
    const { batch, committed: done } = writing;
    writing = undefined;
    await done;
    onCommit(batch);
  };
  return {
    /** Waits for the batch before to commit, then sends this one's statements (they run in order on one connection). */
    async write(batch: CustomerBatch): Promise<void> {
      await finish();
      let sent!: () => void;
      const onTheWire = new Promise<void>((resolve) => (sent = resolve));
      const done = sql.begin(async (tx) => {
        const statements = insertBatch(tx, batch);
        sent();
        await Promise.all(statements);
      });
      writing = { batch, committed: done };
      // a failed BEGIN settles `done` instead
      await Promise.race([onTheWire, done]);
    },
    /** Waits for the last batch to commit. */
    finish,
  };
}

/** Sends the batch's inserts, in the order their foreign keys need. */
function insertBatch(tx: Tx, batch: CustomerBatch): Promise<unknown>[] {
  return [
    insert(tx, 'customers', CUSTOMERS, batch.customers, true),
    insert(tx, 'risk_assessments', RISK_ASSESSMENTS, batch.riskAssessments, false),
    insert(tx, 'accounts', ACCOUNTS, batch.accounts, true),
    insert(tx, 'disclosure_acknowledgements', ACKNOWLEDGEMENTS, batch.acknowledgements, false),
    insert(tx, 'transactions', TRANSACTIONS, batch.transactions, true),
    // one statement for the whole batch: the ledger trigger sees every transaction complete
    insert(tx, 'postings', POSTINGS, batch.postings, false),
    insert(tx, 'positions', POSITIONS, batch.positions, false),
    insert(tx, 'purchase_confirmations', PURCHASE_CONFIRMATIONS, batch.confirmations, false),
    // each alert as it was raised, then the reviews that brought it where it is (the history and
    // the status cannot disagree: only a review row moves an alert's status)
    insert(tx, 'risk_alerts', RISK_ALERTS, batch.alerts.map((alert) => ({ ...alert, status: 'OPEN' })), false),
    insertReviews(tx, batch.alerts),
  ];
}

/** Who reviewed the demo's alerts: the subject of the demo's compliance token. */
const DEMO_REVIEWER = 'demo-compliance';

/** The review steps from OPEN to each alert's status, a day apart after it was raised, by the demo's compliance officer. */
function insertReviews(tx: Tx, alerts: readonly RiskAlertRow[]): Promise<unknown> {
  const steps = alerts.flatMap((alert) => {
    if (alert.status === 'OPEN') return [];
    const key = { kind: alert.kind, transaction_id: alert.transaction_id, customer_id: alert.customer_id, rule: alert.rule, side: alert.side };
    const at = (days: number) => new Date(Date.parse(alert.created_at) + days * DAY).toISOString();
    const taken = { ...key, step: 1, from_status: 'OPEN', to_status: 'UNDER_REVIEW', reason: 'Taken up for review (demo data)', reviewed_at: at(1) };
    if (alert.status === 'UNDER_REVIEW') return [taken];
    const reason = alert.status === 'REPORTED' ? 'Reported to the regulator as a large-value transaction (demo data)' : 'Reviewed: the movement is explained, no report (demo data)';
    return [taken, { ...key, step: 2, from_status: 'UNDER_REVIEW', to_status: alert.status, reason, reviewed_at: at(2) }];
  });
  if (steps.length === 0) return Promise.resolve();
  // in alert and step order: each step's trigger moves its alert from the status the step names
  return tx
    .unsafe(
      `insert into risk_alert_reviews (alert_id, from_status, to_status, reviewer, reason, reviewed_at)
       select a.id, s.from_status, s.to_status, $2, s.reason, s.reviewed_at
         from json_to_recordset($1::text::json) as s(kind text, transaction_id bigint, customer_id bigint, rule text, side text, step int,
                                                     from_status text, to_status text, reason text, reviewed_at timestamptz)
         join risk_alerts a on a.kind = s.kind and a.transaction_id = s.transaction_id and a.customer_id = s.customer_id
                           and a.rule is not distinct from s.rule and a.side is not distinct from s.side
        order by a.id, s.step`,
      [JSON.stringify(steps), DEMO_REVIEWER],
    )
    .execute();
}

/** One INSERT of all `rows`, sent at once as a single JSON parameter and unpacked by json_to_recordset. */
function insert(tx: Tx, table: string, columns: Columns, rows: readonly object[], explicitIds: boolean): Promise<unknown> {
  if (rows.length === 0) return Promise.resolve();
  const names = Object.keys(columns).join(', ');
  const types = Object.entries(columns)
    .map(([name, type]) => `${name} ${type}`)
    .join(', ');
  // `::text` first: typed as json, postgres.js would JSON-encode the already encoded string again
  return tx
    .unsafe(
      `insert into ${table} (${names}) ${explicitIds ? 'overriding system value ' : ''}` +
        `select ${names} from json_to_recordset($1::text::json) as r(${types})`,
      [JSON.stringify(rows)],
    )
    .execute();
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
