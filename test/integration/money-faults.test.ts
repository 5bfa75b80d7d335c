// What a movement does when PostgreSQL fails it (frame.ts): serialization failures and deadlocks
// are retried whole, up to three attempts; a lock timeout is not; a failed balance or position
// CHECK is INSUFFICIENT_FUNDS. The faults are provoked by a trigger (test/support/faults.ts).

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { realServer } from '../support/database.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { installFaultTrigger, watchWrites } from '../support/faults.ts';
import { balanceOf, expectLedgerSound, newCustomer, openAccount } from '../support/ledger.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ customers: 2 });
  await installFaultTrigger(gw.db.sql);
});
afterAll(() => gw?.close());
afterEach(() => expectLedgerSound(gw.db.sql));

const TRANSFER = `mutation Transfer($input: TransferInput!) { transfer(input: $input) { id amount } }`;

/**
 * A customer holding 100.00 whose movements fail with `errcode` (reported on `table`) the first
 * `times` times they write; `attempts()` counts the writes tried.
 */
async function faulty(errcode: string, times: number, table = 'transactions') {
  const id = await newCustomer(gw.db.sql);
  const from = await openAccount(gw.db.sql, id, '100.00');
  const to = await openAccount(gw.db.sql, await newCustomer(gw.db.sql), '0');
  const writes = await watchWrites(gw.db.sql, id, { errcode, times, table });
  const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` });
  return {
    from,
    to,
    transfer: () =>
      gw.request(TRANSFER, { token, variables: { input: { fromAccountId: toGlobalId('Account', from), toAccountId: toGlobalId('Account', to), amount: '10.00', idempotencyKey: randomUUID() } } }),
    attempts: writes.attempts,
  };
}

describe('a movement PostgreSQL fails', () => {
  it.each(['40001', '40P01'])('is retried whole after %s (serialization failure, deadlock) and moves the money once', async (errcode) => {
    const movement = await faulty(errcode, 2);
    const response = await movement.transfer();
    expect(response.errors).toBeUndefined();
    expect(response.data.transfer.amount).toBe('10.00');
    expect(await movement.attempts()).toBe(3);
    expect(await balanceOf(gw.db.sql, movement.from)).toBe('90.00');
    expect(await balanceOf(gw.db.sql, movement.to)).toBe('10.00');
  });

  it.each(['40001', '40P01'])('is given up after the third %s with SERVICE_UNAVAILABLE, and moves nothing', async (errcode) => {
    const movement = await faulty(errcode, 3);
    const response = await movement.transfer();
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await movement.attempts()).toBe(3);
    expect(await balanceOf(gw.db.sql, movement.from)).toBe('100.00');
  });

  it('is answered SERVICE_UNAVAILABLE at once after a lock timeout (55P03), not retried', async () => {
    const movement = await faulty('55P03', 1);
    expect((await movement.transfer()).errors?.map((e) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await movement.attempts()).toBe(1);
  });

  it.each(['accounts', 'positions'])('is INSUFFICIENT_FUNDS when a CHECK on %s refuses it (23514)', async (table) => {
    const movement = await faulty('23514', 1, table);
    expect((await movement.transfer()).errors?.map((e) => e.extensions.code)).toEqual(['INSUFFICIENT_FUNDS']);
    expect(await movement.attempts()).toBe(1);
  });

  it.each([
    ['a CHECK on another table', '23514', 'transactions'],
    ['any other failure, on accounts too', '23505', 'accounts'],
  ])('is an unexpected error, not retried, after %s', async (_case, errcode, table) => {
    const movement = await faulty(errcode, 1, table);
    expect((await movement.transfer()).errors?.map((e) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await movement.attempts()).toBe(1);
    expect(await balanceOf(gw.db.sql, movement.from)).toBe('100.00');
  });
});

describe('a duplicate that cannot wait for the first request with its key', () => {
  // two connections at once: the embedded database serves one at a time
  it.skipIf(!realServer)('is IDEMPOTENCY_IN_PROGRESS, not a failure of the statements sent behind its claim, and moves nothing', async () => {
    const id = await newCustomer(gw.db.sql);
    const from = await openAccount(gw.db.sql, id, '100.00');
    const to = await openAccount(gw.db.sql, await newCustomer(gw.db.sql), '0');
    const token = await gw.token({ roles: ['customer'], customerId: toGlobalId('Customer', id), sub: `customer-${id}` });
    const key = randomUUID();
    // the first request's claim, uncommitted: the duplicate waits on it as long as it may (5 s)
    const first = await gw.db.sql.reserve();
    try {
      await first`begin`;
      await first`insert into idempotency_keys (principal_id, key, operation, fingerprint, expires_at)
                  values (${`customer-${id}`}, ${key}, 'transfer', ${'0'.repeat(64)}, now() + interval '7 days')`;
      const response = await gw.request(TRANSFER, {
        token,
        variables: { input: { fromAccountId: toGlobalId('Account', from), toAccountId: toGlobalId('Account', to), amount: '10.00', idempotencyKey: key } },
      });
      expect(response.errors?.map((e) => e.extensions.code)).toEqual(['IDEMPOTENCY_IN_PROGRESS']);
    } finally {
      await first`rollback`;
      first.release();
    }
    expect(await balanceOf(gw.db.sql, from)).toBe('100.00');
  }, 15_000);
});
