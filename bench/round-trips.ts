// SQL round trips per request (issue 3): how many statements one GraphQL request sends with the
// relation loads batched (DataLoader, the default gateway) against the same gateway loading each row
// on its own (`batchLoads: false`), in the same process over the same seeded database, for several
// page sizes. Batching must keep the count flat: at most 5 statements whatever `first` is (the audit
// trail's INSERT, one per request at most and shared by concurrent requests, is reported apart).
//
//   npx tsx bench/round-trips.ts [--customers 200] [--verbose]
//
// Exits 1 when a batched count exceeds the target or grows with `first`, so CI can run it.

import { parseArgs } from 'node:util';
import { expectData, openBench, table, type BenchGateway } from './support.ts';

const { values } = parseArgs({ options: { customers: { type: 'string', default: '200' }, verbose: { type: 'boolean', default: false } } });
const TARGET = 5;
const AUDIT_INSERT = /^\s*insert into audit_events/i;
const FIRSTS = [10, 50, 100];

const TRANSACTIONS = /* GraphQL */ `
  query Transactions($first: Int) {
    transactions(first: $first) { edges { node { product { issuer { name } } customer { name } } } }
  }`;

const CUSTOMERS = /* GraphQL */ `
  query Customers($first: Int) {
    customers(first: $first) {
      edges { node { accounts { id } transactions(first: 5) { edges { node { product { name } } } } riskProfile { tolerance } } }
    }
  }`;

interface Scenario {
  name: string;
  query: string;
  /** Rows at the top level of a response (to show what `first` actually returned). */
  rows(data: any): number;
}

const scenarios: Scenario[] = [
  { name: 'transactions(first: N) { product { issuer { name } } customer { name } }', query: TRANSACTIONS, rows: (d) => d.transactions.edges.length },
  { name: 'customers(first: N) { accounts, transactions(first: 5) { product }, riskProfile }', query: CUSTOMERS, rows: (d) => d.customers.edges.length },
];

const bench = await openBench({ customers: Number(values.customers) });
let failed = false;
try {
  const token = await bench.token({ roles: ['compliance'] });
  const batched = await bench.gateway({ recordStatements: true });
  const naive = await bench.gateway({ batchLoads: false, recordStatements: true });

  /**
   * Statements of one request that read its data (after a warm-up run that opens connections and
   * prepares statements). The audit trail's INSERT is counted apart: one per request at most, and
   * shared with concurrent requests (group commit), whatever the query.
   */
  async function count(gateway: BenchGateway, query: string, first: number): Promise<{ statements: number; audit: number; data: unknown; texts: string[] }> {
    expectData(await gateway.request(query, { token, variables: { first } }), 'warm-up');
    gateway.statements.reset();
    const data = expectData(await gateway.request(query, { token, variables: { first } }), `first: ${first}`);
    const texts = gateway.statements.statements.map((s) => s.text);
    const audit = texts.filter((text) => AUDIT_INSERT.test(text)).length;
    return { statements: texts.length - audit, audit, data, texts };
  }

  for (const scenario of scenarios) {
    const rows: (string | number)[][] = [];
    const counts: number[] = [];
    let breakdown: string[] = [];
    for (const first of FIRSTS) {
      const b = await count(batched, scenario.query, first);
      const n = await count(naive, scenario.query, first);
      // batching changes how rows are loaded, never what the response says
      if (JSON.stringify(b.data) !== JSON.stringify(n.data)) throw new Error(`${scenario.name}, first ${first}: batched and naive responses differ`);
      counts.push(b.statements);
      breakdown = b.texts;
      if (b.audit > 1) failed = true;
      rows.push([first, scenario.rows(b.data), b.statements, b.audit, n.statements, `${(n.statements / b.statements).toFixed(1)}×`, b.statements <= TARGET ? 'ok' : `> ${TARGET}`]);
    }
    const flat = counts.every((c) => c === counts[0]);
    if (!flat || counts.some((c) => c > TARGET)) failed = true;
    console.log(`\n${scenario.name}   (compliance principal)`);
    console.log(table(['first', 'rows', 'batched', '+ audit insert', 'naive', 'naive/batched', `target ≤ ${TARGET}`], rows));
    console.log(`batched count ${flat ? 'flat' : 'GROWS'} across first = ${FIRSTS.join(', ')}; naive = one statement per distinct key (DataLoader still caches within a request)`);
    if (values.verbose || !flat || counts.some((c) => c > TARGET)) {
      console.log(`statements of the batched request (first: ${FIRSTS.at(-1)}):`);
      for (const text of breakdown) console.log(`  ${text.replace(/\s+/g, ' ').trim().slice(0, 150)}`);
    }
  }
} finally {
  await bench.close();
}
if (failed) {
  console.log(`\nFAIL: a batched request sent more than ${TARGET} statements, or more as first grew`);
  process.exit(1);
}
console.log(`\nOK: batched requests stay at ≤ ${TARGET} statements whatever first is`);
