// Time travel for tests of purchases in a cooling-off period: the database refuses any change to a
// period, so its owner lifts the guard for the one statement that moves it into the past.

import type { Sql } from '../../src/db/database.ts';
import { coolingOffSweep } from '../../src/money/cooling-off.ts';
import type { TestGateway } from './gateway.ts';

/** Moves the cooling-off period of the purchase `transactionKey` `hours` into the past. */
export async function agePeriod(gw: Pick<TestGateway, 'asOwner'>, transactionKey: string, hours: number): Promise<void> {
  if (!/^\d+$/.test(transactionKey) || !Number.isInteger(hours)) throw new Error('a transaction key and whole hours');
  // one simple-protocol message: its statements run as one transaction (or in the owner's, embedded)
  await gw.asOwner((sql: Sql) =>
    sql.unsafe(`
      alter table cooling_off_periods disable trigger cooling_off_periods_guard;
      update cooling_off_periods set starts_at = starts_at - interval '${hours} hours', ends_at = ends_at - interval '${hours} hours'
       where transaction_id = ${transactionKey};
      alter table cooling_off_periods enable trigger cooling_off_periods_guard;`),
  );
}

/** Lets the purchase's period pass and runs the sweep as the gateway would: a purchase that needs no return call completes. */
export async function waitOutCoolingOff(gw: Pick<TestGateway, 'asOwner' | 'app' | 'policies'>, transactionKey: string): Promise<void> {
  await agePeriod(gw, transactionKey, 25);
  await sweep(gw);
}

/** Runs the cooling-off sweep once, as the gateway does; resolves with how many purchases it completed. */
export function sweep(gw: Pick<TestGateway, 'app' | 'policies'>): Promise<number> {
  return coolingOffSweep(gw.app, gw.policies)(new Date());
}
