// A year (at most) of ledger history per customer: a deposit, then purchases, perhaps a
// redemption and a transfer to an earlier customer, each a balanced two-posting transaction with
// the risk alerts the gateway would have raised with it. Balances are tracked in cents so nothing
// is spent that is not there; money received from later customers only adds to a balance, so it
// cannot break that.

import { counts, largeValueAlerts, type AmlRules, type MovementFacts } from '../../money/aml.ts';
import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import { decimal, granularity, logUniform, realisticAmount, roundDown } from './amounts.ts';
import { alertRow, largeTransferThreshold } from './alerts.ts';
import type { CustomerAccount } from './customers.ts';
import { CURRENCY } from './market.ts';
import { chooseOffer, offersOf, type Offer } from './offers.ts';
import type { Customer } from './facts.ts';
import { acknowledgedBeforeBuying, purchaseDecisions, type PurchaseDecisions, type PurchasePolicies } from './purchases.ts';
import { CLEARING_ACCOUNT_ID, productAccountId, type ReferenceData } from './reference.ts';
import type { CustomerBatch, TransactionType } from './rows.ts';
import { businessDays, DAY, iso, MINUTE, type BusinessDay } from './time.ts';

/** What generating histories keeps between customers. */
export interface Ledger {
  rng: Random;
  now: number;
  offers: readonly Offer[];
  /** How the policies in force answer a purchase. */
  decide: PurchaseDecisions;
  /** The large-value rules in force (the `aml` policy). */
  aml: AmlRules;
  /** The business day containing an instant: same-day totals, licence validity. */
  businessDay: (at: number) => BusinessDay;
  /** The first account of each customer generated so far, by customer index: where transfers go. */
  primaryAccount: Float64Array;
  nextTransactionId: number;
}

/** A ledger for `total` customers of the `reference` market whose histories end before `now`, under the policies in force. */
export function newLedger(
  rng: Random,
  now: number,
  reference: ReferenceData,
  policies: { purchases: PurchasePolicies; aml: AmlRules; timeZone: string },
  total: number,
): Ledger {
  const businessDay = businessDays(policies.timeZone);
  return {
    rng,
    now,
    offers: offersOf(reference),
    decide: purchaseDecisions(policies.purchases, businessDay),
    aml: policies.aml,
    businessDay,
    primaryAccount: new Float64Array(total),
    nextTransactionId: 1,
  };
}

/** A customer whose history is being written. */
export interface AccountHolder extends Customer {
  /** Position in sign-up order, from 0. */
  index: number;
  created: number;
  accounts: CustomerAccount[];
}

const PURCHASE_COUNTS = weightedTable([[0, 15], [1, 30], [2, 28], [3, 17], [4, 10]] as const);

type Action = 'purchase' | 'redemption' | 'transfer' | 'largeTransfer';

/** Writes the customer's history into `out`. */
export function history(customer: AccountHolder, ledger: Ledger, out: CustomerBatch): void {
  const { rng, now } = ledger;
  const record = recorder(ledger, customer.id, out);
  ledger.primaryAccount[customer.index] = customer.accounts[0]!.id;
  const start = Math.max(customer.created + 10 * MINUTE, now - 365 * DAY);
  let at = Math.floor(start + rng.next() * Math.min(14 * DAY, (now - start) / 4));

  const primary = customer.accounts[0]!;
  const deposit = customer.professional
    ? roundDown(logUniform(rng, 600_000_00, 5_000_000_00), 10_000_00)
    : realisticAmount(rng, logUniform(rng, 1_000_00, 500_000_00));
  record('DEPOSIT', null, deposit, CLEARING_ACCOUNT_ID, primary.id, at);
  primary.balance += deposit;
  const second = customer.accounts[1];
  if (second && rng.chance(0.5)) {
    const amount = realisticAmount(rng, logUniform(rng, 500_00, 50_000_00));
    at += rng.int(MINUTE, 3 * DAY);
    record('DEPOSIT', null, amount, CLEARING_ACCOUNT_ID, second.id, at);
    second.balance += amount;
  }

  const actions: Action[] = [];
  const purchases = rng.weighted(PURCHASE_COUNTS) + (customer.professional ? 1 : 0);
  for (let k = 0; k < purchases; k++) actions.push('purchase');
  if (purchases > 0 && rng.chance(0.25)) actions.splice(rng.int(1, actions.length), 0, 'redemption');
  if (customer.index > 0 && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'transfer');
  if (customer.index > 0 && customer.professional && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'largeTransfer');

  const positions = new Map<number, number>();
  const acknowledged = new Set<number>();
  for (let k = 0; k < actions.length; k++) {
    // spread the remaining actions over the time left, never past `now`
    at += Math.floor((rng.next() * 2 * Math.max(0, now - MINUTE - at)) / (actions.length - k + 1));
    const from = customer.accounts.reduce((a, b) => (b.balance > a.balance ? b : a));
    switch (actions[k]!) {
      case 'purchase': {
        const choice = chooseOffer(ledger.offers, from.balance, ledger.decide(customer, from.id, at), rng);
        if (!choice) break;
        const { offer, verdict } = choice;
        const target = Math.floor(from.balance * rng.between(0.1, 0.7));
        const amount = Math.min(from.balance, Math.max(offer.minCents, roundDown(target, granularity(target))));
        // what they read, they acknowledge just before buying (once per version)
        for (const disclosure of acknowledgedBeforeBuying(offer.product, at, verdict.read)) {
          if (acknowledged.has(disclosure.id)) continue;
          acknowledged.add(disclosure.id);
          out.acknowledgements.push({
            customer_id: customer.id,
            disclosure_id: disclosure.id,
            acknowledged_at: iso(Math.max(disclosure.publishedAt, at - rng.int(MINUTE, 10 * MINUTE))),
          });
        }
        record('PURCHASE', offer.productId, amount, from.id, offer.accountId, at, verdict.alerts);
        from.balance -= amount;
        positions.set(offer.productId, (positions.get(offer.productId) ?? 0) + amount);
        break;
      }
      case 'redemption': {
        const held = [...positions].filter(([, cents]) => cents > 0);
        if (held.length === 0) break;
        const [productId, position] = rng.pick(held);
        const amount =
          position < 2_00 || rng.chance(0.5) ? position : Math.max(1_00, roundDown(position * rng.between(0.2, 0.8), granularity(position / 2)));
        record('REDEMPTION', productId, amount, productAccountId(productId), primary.id, at);
        primary.balance += amount;
        positions.set(productId, position - amount);
        break;
      }
      case 'transfer': {
        if (from.balance < 100_00) break;
        const target = rng.between(50_00, Math.min(50_000_00, from.balance / 2));
        const amount = Math.min(from.balance, Math.max(1_00, realisticAmount(rng, target)));
        const to = ledger.primaryAccount[rng.int(0, customer.index - 1)]!;
        record('TRANSFER', null, amount, from.id, to, at);
        from.balance -= amount;
        break;
      }
      case 'largeTransfer': {
        // at least what the aml rules call large on its own, when the balance reaches that
        const threshold = largeTransferThreshold(ledger.aml, from.balance);
        if (threshold === null) break;
        const amount = threshold + roundDown(rng.between(0, from.balance - threshold), 10_000_00);
        const to = ledger.primaryAccount[rng.int(0, customer.index - 1)]!;
        // some split it in two, minutes apart, as if that kept it small: the same-day total does not
        const first = rng.chance(0.5) ? roundDown(amount * rng.between(0.4, 0.6), 1_000_00) : amount;
        record('TRANSFER', null, first, from.id, to, at);
        if (first < amount) {
          at = Math.min(at + rng.int(5, 90) * MINUTE, now - 1);
          record('TRANSFER', null, amount - first, from.id, to, at);
        }
        from.balance -= amount;
        break;
      }
    }
  }

  for (const [productId, cents] of positions) {
    out.positions.push({ customer_id: customer.id, product_id: productId, amount: decimal(cents) });
  }
}

/**
 * Books the customer's movements: a completed two-posting transaction of `cents` from one account
 * to another, with the alerts its decision obliged and those the aml rules raise for it, given
 * what the customer's counted movements of the same business day already add up to (as
 * src/money/movements.ts raises them). Returns the transaction's id.
 */
function recorder(ledger: Ledger, customerId: number, out: CustomerBatch) {
  let day = Number.NaN;
  let dayCents = 0;
  return (
    type: TransactionType,
    productId: number | null,
    cents: number,
    fromAccount: number,
    toAccount: number,
    at: number,
    obliged: readonly AlertObligation[] = [],
  ): number => {
    const id = ledger.nextTransactionId++;
    const amount = decimal(cents);
    out.transactions.push({
      id,
      type,
      status: 'COMPLETED',
      amount,
      currency: CURRENCY,
      customer_id: customerId,
      product_id: productId,
      created_at: iso(at),
    });
    out.postings.push(
      { transaction_id: id, account_id: fromAccount, amount: `-${amount}` },
      { transaction_id: id, account_id: toAccount, amount },
    );

    for (const alert of obliged) out.alerts.push(alertRow(alert, customerId, id, at, ledger.rng, ledger.now));
    // the rules count only some types, and those towards the customer's business day
    if (counts(ledger.aml, type)) {
      const today = ledger.businessDay(at).start;
      if (today !== day) [day, dayCents] = [today, 0];
      const movement: MovementFacts = { type, currency: CURRENCY, cents: BigInt(cents), sameDayBeforeCents: BigInt(dayCents) };
      dayCents += cents;
      for (const alert of largeValueAlerts(ledger.aml, movement)) out.alerts.push(alertRow(alert, customerId, id, at, ledger.rng, ledger.now));
    }
    return id;
  };
}
