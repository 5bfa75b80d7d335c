// Time travel for tests of purchases in a cooling-off period: the database refuses any change to a
// period, so its guard is lifted for the one statement that moves it into the past.

import type { Sql } from '../../src/db/database.ts';
import { completeDuePurchases } from '../../src/money/cooling-off.ts';

/** Moves the cooling-off period of the purchase `transactionKey` `hours` into the past. */
export async function agePeriod(sql: Sql, transactionKey: string, hours: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`alter table cooling_off_periods disable trigger cooling_off_periods_guard`;
    await tx`update cooling_off_periods set starts_at = starts_at - ${hours} * interval '1 hour', ends_at = ends_at - ${hours} * interval '1 hour'
              where transaction_id = ${transactionKey}`;
    await tx`alter table cooling_off_periods enable trigger cooling_off_periods_guard`;
  });
}

/** Lets the purchase's period pass and runs the sweep: a purchase that needs no return call completes. */
export async function waitOutCoolingOff(sql: Sql, transactionKey: string): Promise<void> {
  await agePeriod(sql, transactionKey, 25);
  await completeDuePurchases(sql, new Date());
}
