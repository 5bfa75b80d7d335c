// Deterministic demo data: institutions and their licences, products and disclosures, and customers
// with identities, risk assessments, accounts and a ledger history. Pure: no database here, only
// rows (rows.ts) for seed.ts to insert. The data follows the policy versions it is given, as the
// gateway would: they score the risk questionnaires, decide every movement and raise every alert. This file stitches the parts
// together: the reference data first, then each customer in sign-up order: who they are, their
// risk assessment, their accounts, their history.

import type { Questionnaire } from '../../money/risk-assessment.ts';
import type { VersionSet } from '../../policy/runtime.ts';
import { createRandom } from '../random.ts';
import { customerRegistry, MAX_DEMO_CUSTOMERS, openAccounts, registerCustomer, type Registry } from './customers.ts';
import { history, newLedger, type Ledger } from './history.ts';
import { productAccountId, referenceData, type ReferenceData } from './reference.ts';
import { assess } from './risk-profiles.ts';
import { appendBatch, emptyBatch, type CustomerBatch } from './rows.ts';
import { startOfUtcDay } from './time.ts';

/** What to generate. */
export interface DemoOptions {
  /** How many customers (at most `MAX_DEMO_CUSTOMERS`). */
  customers: number;
  /** Equal seeds (with equal `now`) give equal data. */
  seed: string | number;
  /** Where the generated history ends; every timestamp lies before it. @default the start of the current UTC day */
  now?: Date;
  /**
   * The policy versions in force (a runtime's `at(now)`): the `risk-questionnaire` policy scores
   * the customers' answers, the versions decide their purchases, redemptions and transfers and
   * oblige their alerts, and the `cooling-off` policy's classes are not offered (offers.ts).
   */
  policies: Pick<VersionSet, 'decide' | 'facts' | 'data' | 'policies'>;
  /** The business day's time zone (FINGATE_TIME_ZONE): the facts' business days, same-day totals and calendars. */
  timeZone: string;
}

/** All demo rows at once. */
export type DemoData = Omit<ReferenceData, 'accounts'> & CustomerBatch;

/** Reference data now, customers in batches as they are asked for. */
export interface DemoGenerator {
  reference: ReferenceData;
  /** Generates the customers in order, `size` at a time. The batch size does not change the data. Call once. */
  batches(size: number): Generator<CustomerBatch, void, undefined>;
}

/** Generates every row for `options.customers` customers in memory (fine for tests and small databases). */
export function generateDemo(options: DemoOptions): DemoData {
  const generator = demoGenerator(options);
  const { accounts, ...reference } = generator.reference;
  const data: DemoData = { ...reference, ...emptyBatch() };
  data.accounts.push(...accounts);
  for (const batch of generator.batches(10_000)) appendBatch(data, batch);
  return data;
}

/**
 * The reference rows, and a generator of customer batches for streaming into a database. Customer
 * `i` always gets id `i + 1`; the batch size only decides where the stream pauses.
 */
export function demoGenerator(options: DemoOptions): DemoGenerator {
  const total = options.customers;
  if (!Number.isSafeInteger(total) || total < 0 || total > MAX_DEMO_CUSTOMERS) {
    throw new RangeError(`customers must be an integer from 0 to ${MAX_DEMO_CUSTOMERS}`);
  }
  const now = (options.now ?? startOfUtcDay(new Date())).getTime();
  const reference = referenceData(options.seed, now);
  const questionnaire = options.policies.data<Questionnaire>('risk-questionnaire');
  // who the customers are never depends on what the policies let them do: two random streams
  const registry = customerRegistry(createRandom(`${options.seed}/customers`), now, total, productAccountId(reference.products.length) + 1);
  const ledger = newLedger(createRandom(`${options.seed}/history`), now, reference, options.policies, options.timeZone, total);
  let started = false;
  return {
    reference,
    *batches(size: number) {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('batch size must be a positive integer');
      if (started) throw new Error('demo customers can be generated only once per generator');
      started = true;
      for (let first = 0; first < total; first += size) {
        const batch = emptyBatch();
        const end = Math.min(first + size, total);
        for (let index = first; index < end; index++) generateCustomer(index, registry, questionnaire, ledger, batch);
        yield batch;
      }
    },
  };
}

function generateCustomer(index: number, registry: Registry, questionnaire: Questionnaire, ledger: Ledger, out: CustomerBatch): void {
  const customer = registerCustomer(index, registry, out);
  const assessment = assess(customer, questionnaire, registry.rng, registry.now, out);
  const accounts = openAccounts(customer, registry, out);
  history({ ...customer, assessment, accounts }, ledger, out);
}
