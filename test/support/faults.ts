// Faults PostgreSQL reports, provoked on purpose: a trigger on `transactions` that raises a chosen
// SQLSTATE for one customer's movements a set number of times, and counts every write tried in a
// sequence (a sequence is not rolled back with the failed attempt).

import type { Sql } from '../../src/db/database.ts';

/** Installs the trigger (as the database owner); once per database. */
export async function installFaultTrigger(sql: Sql): Promise<void> {
  await sql.unsafe(`
    create table injected_faults (customer_id bigint primary key, errcode text not null, table_name text not null, times int not null, attempts text not null);
    create function inject_fault() returns trigger language plpgsql security definer as $$
    declare
      fault injected_faults;
    begin
      select * into fault from injected_faults where customer_id = new.customer_id;
      if found and nextval(fault.attempts::regclass) <= fault.times then
        raise exception 'injected fault' using errcode = fault.errcode, table = fault.table_name;
      end if;
      return new;
    end $$;
    create trigger inject_fault before insert on transactions for each row execute function inject_fault();`);
}

/** What `watchWrites` gives: how many ledger writes of the customer's were tried. */
export interface WriteCounter {
  attempts(): Promise<number>;
}

/**
 * Makes the customer's next `times` ledger writes fail with `errcode`, reported on `table`, and
 * counts every write of theirs tried from now on (`times` 0 only counts).
 */
export async function watchWrites(sql: Sql, customerId: string, { errcode = '23514', times = 0, table = 'transactions' } = {}): Promise<WriteCounter> {
  const sequence = `fault_attempts_${customerId}`;
  await sql.unsafe(`create sequence ${sequence}`);
  await sql`insert into injected_faults values (${customerId}, ${errcode}, ${table}, ${times}, ${sequence})`;
  return {
    async attempts() {
      const [row] = await sql.unsafe<{ n: string; called: boolean }[]>(`select last_value as n, is_called as called from ${sequence}`);
      return row!.called ? Number(row!.n) : 0;
    },
  };
}
