// The business day that same-day AML totals count in is Beijing's (DESIGN.md: Asia/Shanghai unless
// configured otherwise), not the server's or UTC's: it begins at 16:00 UTC. A customer's earlier
// transfer, booked by a fixture at an instant around the start of today in Beijing, and a transfer
// made now through HTTP that together reach the large-value threshold (PBOC Order 〔2016〕No.3
// Art.5, code 0503: ¥500,000.00 sent in one business day) raise an alert only when both fall in the
// same Beijing day. Whatever the time of day this runs, one of the two cases below would fail if
// the day were UTC's: before 08:00 in Beijing, UTC's day began 16 hours before Beijing's; from
// 08:00, 8 hours after it.

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { book, deposit, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;
let compliance: string;

beforeAll(async () => {
  gw = await startGateway({ customers: 10 });
  compliance = await gw.token({ roles: ['compliance'] });
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The instant today began in Beijing (UTC+8 all year, no daylight saving), computed apart from the
 * gateway's clock module. Close to the next midnight it waits for it, so that the day cannot turn
 * between the fixture and the request.
 */
async function startOfBeijingDay(): Promise<Date> {
  const untilNext = DAY - ((Date.now() + 8 * HOUR) % DAY);
  if (untilNext < 30_000) await new Promise((resolve) => setTimeout(resolve, untilNext + 1000));
  const now = Date.now();
  return new Date(now - ((now + 8 * HOUR) % DAY));
}

/**
 * A customer who sent ¥300,000.00 to someone else at `sentAt`, holding ¥200,000.00 more, all paid in
 * a week before; and their token.
 */
async function customerWhoSent(sentAt: Date): Promise<{ id: string; account: string; token: string }> {
  const id = await newCustomer(gw.db.sql);
  const account = await openAccount(gw.db.sql, id, '0');
  await deposit(gw.db.sql, id, account, '500000.00', 'CNY', new Date(sentAt.getTime() - 7 * DAY));
  const other = await openAccount(gw.db.sql, await newCustomer(gw.db.sql), '0');
  await book(gw.db.sql, { type: 'TRANSFER', customerId: id, from: account, to: other, amount: '300000.00', createdAt: sentAt });
  return { id, account, token: await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` }) };
}

/** Sends ¥200,000.00 now through HTTP and returns the large-value alerts raised with it. */
async function sendRestNow(sender: { account: string; token: string }): Promise<{ kind: string; rule: string; customer: { id: string } }[]> {
  const receiver = await openAccount(gw.db.sql, await newCustomer(gw.db.sql), '0');
  const sent = await gw.request(`mutation($input: TransferInput!) { transfer(input: $input) { id } }`, {
    token: sender.token,
    variables: { input: { fromAccountId: toGlobalId('Account', sender.account), toAccountId: toGlobalId('Account', receiver), amount: '200000.00', idempotencyKey: randomUUID() } },
  });
  expect(sent.errors).toBeUndefined();
  const alerts = await gw.request(`query($id: ID!) { transaction(id: $id) { riskAlerts { kind rule customer { id } } } }`, {
    token: compliance,
    variables: { id: sent.data.transfer.id },
  });
  expect(alerts.errors).toBeUndefined();
  return alerts.data.transaction.riskAlerts.filter((a: { kind: string }) => a.kind === 'LARGE_VALUE');
}

describe('the AML business day (Asia/Shanghai)', () => {
  it('counts a transfer made at 00:00 Beijing time today in today’s total: the two reach ¥500,000.00 and raise a LARGE_VALUE alert', async () => {
    const sender = await customerWhoSent(await startOfBeijingDay());
    expect(await sendRestNow(sender)).toEqual([{ kind: 'LARGE_VALUE', rule: '0503', customer: { id: toGlobalId('Customer', sender.id) } }]);
  });

  it('does not count a transfer made a millisecond before 00:00 Beijing time: it was yesterday, and no alert is raised', async () => {
    const sender = await customerWhoSent(new Date((await startOfBeijingDay()).getTime() - 1));
    expect(await sendRestNow(sender)).toEqual([]);
  });
});
