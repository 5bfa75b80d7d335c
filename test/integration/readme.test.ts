// The README's "Trying it" examples, run as written against `fingate start` with the demo it seeds
// by default and the tokens it prints: every document sent here stands in the README (ids in
// place of its "…"), so an example that stops working, or stops being written, fails here.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingate } from '../support/cli.ts';
import { temporaryDir } from '../support/temp.ts';

const README = (await readFile(new URL('../../README.md', import.meta.url), 'utf8')).replace(/\s+/g, ' ');

let gateway: ReturnType<typeof fingate>;
let url: string;

beforeAll(async () => {
  gateway = fingate(['start'], { PORT: '0', FINGATE_DATA_DIR: await temporaryDir('fingate-readme'), FINGATE_DEMO_CUSTOMERS: '1000' }, (out) => /\nservice[^\n]*:\n\s+Authorization/.test(out));
  await gateway.seen;
  url = /fingate serving (http:\/\/\S+\/graphql)/.exec(gateway.output().stdout)![1]!;
}, 120_000);
afterAll(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.exited;
});

/** The token the start-up output prints under `label`. */
function token(label: string): string {
  const line = gateway.output().stdout.split('\n\n').find((block) => block.startsWith(`${label}:`) || block.startsWith(`${label} (`));
  return /Authorization: Bearer (\S+)/.exec(line ?? '')![1]!;
}

/** Sends a README example: the document with `ids` in place of its "…", which must stand in the README as written. */
async function example(label: string, document: string, { ids = [], purpose }: { ids?: string[]; purpose?: string } = {}) {
  let asWritten = document;
  for (const id of ids) asWritten = asWritten.replace(`"${id}"`, '"…"');
  expect(README).toContain(asWritten.replace(/\s+/g, ' '));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token(label)}`, ...(purpose ? { 'x-access-purpose': purpose } : {}) },
    body: JSON.stringify({ query: document }),
  });
  return (await response.json()) as { data: any; errors?: { extensions: any }[] };
}

describe('the README examples', () => {
  it('the start-up output prints a token for every example: the lowest category, ¥1,000,000 or more, and service among them', () => {
    for (const label of ['customer', 'customer of the lowest category', 'customer holding ¥1,000,000 or more', 'advisor', 'compliance', 'auditor', 'service']) {
      expect(token(label)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    }
  });

  it('a service reads customers for risk control, identity numbers masked', async () => {
    const response = await example('service', `{ customers(first: 5) { edges { node { id name idNumber riskProfile { tolerance } } } } }`, { purpose: 'risk-control' });
    expect(response.errors).toBeUndefined();
    expect(response.data.customers.edges).toHaveLength(5);
    for (const { node } of response.data.customers.edges) expect(node.idNumber).toMatch(/^\d{3}\*{11}[\dX]{4}$/);
  });

  it('the customer of the lowest category is refused a bond fund (R2) even with its disclosure acknowledged', async () => {
    const who = 'customer of the lowest category';
    const accounts = (await example(who, `{ me { accounts { id balance } } }`)).data.me.accounts;
    const [fund] = (await example(who, `{ products(first: 1, filter: { category: FUND, riskLevel: R2 }) { edges { node { id currentDisclosure { id } } } } }`)).data.products.edges;
    const disclosureId = fund.node.currentDisclosure.id;
    const read = await example(who, `mutation { acknowledgeDisclosure(input: { disclosureId: "${disclosureId}" }) { acknowledgedAt } }`, { ids: [disclosureId] });
    expect(read.errors).toBeUndefined();
    const account = accounts.find((a: { balance: string }) => Number(a.balance) >= 1000).id;
    const bought = await example(
      who,
      `mutation { purchaseProduct(input: { productId: "${fund.node.id}", accountId: "${account}", amount: "1000.00", idempotencyKey: "order-low-001" }) { id } }`,
      { ids: [fund.node.id, account] },
    );
    expect(bought.errors?.[0]?.extensions).toMatchObject({ code: 'POLICY_DENIED', decision: { policy: 'suitability@2', reasons: [{ code: 'LOWEST_CATEGORY_ABOVE_R1' }] } });
  });

  it('¥500,000 from the customer holding ¥1,000,000 or more raises a LARGE_VALUE alert on each side, which compliance sees', async () => {
    const payer = (await example('customer holding ¥1,000,000 or more', `{ me { accounts { id balance } } }`)).data.me.accounts.find((a: { balance: string }) => Number(a.balance) >= 500_000);
    const payee = (await example('customer', `{ me { id name accounts { id balance currency } transactions(first: 5) { edges { node { type amount product { name riskLevel } } } } } }`)).data.me.accounts[0];
    const moved = await example(
      'customer holding ¥1,000,000 or more',
      `mutation { transfer(input: { fromAccountId: "${payer.id}", toAccountId: "${payee.id}", amount: "500000.00", idempotencyKey: "large-001" }) {
  id status amount } }`,
      { ids: [payer.id, payee.id] },
    );
    expect(moved.errors).toBeUndefined();
    expect(moved.data.transfer).toMatchObject({ status: 'COMPLETED', amount: '500000.00' });
    const alerts = await example(
      'compliance',
      `{ riskAlerts(first: 10, filter: { kind: LARGE_VALUE, status: OPEN }) { totalCount
    edges { node { id rule side dueAt customer { id } transaction { amount } } } } }`,
      { purpose: 'risk-control' },
    );
    expect(alerts.errors).toBeUndefined();
    const raised = alerts.data.riskAlerts.edges.map((e: any) => e.node).filter((n: any) => n.transaction.amount === '500000.00');
    expect(raised.map((n: any) => [n.rule, n.side]).sort()).toEqual([
      ['0503', 'INCOMING'],
      ['0503', 'OUTGOING'],
    ]);
  });
});
