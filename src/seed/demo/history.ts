// A year (at most) of ledger history per customer: a deposit, then purchases, perhaps a
// redemption and a transfer to an earlier customer, each a balanced two-posting transaction. Each
// purchase, redemption and transfer is decided by the policies in force as the gateway decides it
// (movements.ts), and raises the alerts that decision obliges; one they refuse does not happen.
// Balances are tracked in cents so nothing is spent that is not there; money received from later
// customers only adds to a balance, so it cannot break that.

import type { AlertParties } from '../../money/alerts.ts';
import type { AlertObligation } from '../../policy/types.ts';
import { weightedTable, type Random } from '../random.ts';
import { newActivity } from './activity.ts';
import { decimal, granularity, logUniform, realisticAmount, roundDown } from './amounts.ts';
import { alertRows } from './alerts.ts';
import type { CustomerAccount } from './customers.ts';
import { businessCalendars, type Customer } from './facts.ts';
import { CURRENCY } from './market.ts';
import { activityAt, alertsOf, decideRedemption, decideTransfer, leastLargeTransfer, type Deciding } from './movements.ts';
import { chooseOffer, offersOf, type CoolingOffPolicies, type Offer } from './offers.ts';
import { acknowledgedBeforeBuying, confirmationOf, decidePurchase, purchaseDecisions, type PurchaseDecisions } from './purchases.ts';
import { CLEARING_ACCOUNT_ID, productAccountId, type ReferenceData } from './reference.ts';
import type { CustomerBatch, TransactionType } from './rows.ts';
import { businessDays, DAY, iso, MINUTE } from './time.ts';

/** What generating histories keeps between customers. */
export interface Ledger {
  rng: Random;
  now: number;
  offers: readonly Offer[];
  /** Offers by product id: what a position was bought from. */
  offerOf: ReadonlyMap<number, Offer>;
  /** How the policies in force answer a movement, and the ledger so far they are asked with. */
  deciding: Deciding;
  /** How the policies in force answer the purchases a customer considers. */
  choose: PurchaseDecisions;
  /** The least transfer the policies call large on its own, once asked (null: none is). */
  largeTransfer?: number | null;
  /** The first account of each customer generated so far, by customer index: where transfers go. */
  primaryAccount: Float64Array;
  nextTransactionId: number;
}

/** A ledger for `total` customers of the `reference` market whose histories end before `now`, under the policies in force. */
export function newLedger(rng: Random, now: number, reference: ReferenceData, policies: Deciding['policies'] & CoolingOffPolicies, timeZone: string, total: number): Ledger {
  const businessDay = businessDays(timeZone);
  const deciding: Deciding = { policies, businessDay, calendar: businessCalendars(businessDay), activity: newActivity(total) };
  const offers = offersOf(reference, policies);
  return {
    rng,
    now,
    offers,
    offerOf: new Map(offers.map((offer) => [offer.productId, offer])),
    deciding,
    choose: purchaseDecisions(deciding),
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
  const { rng, now, deciding } = ledger;
  const record = recorder(ledger, customer, out);
  ledger.primaryAccount[customer.index] = customer.accounts[0]!.id;
  const start = Math.max(customer.created + 10 * MINUTE, now - 365 * DAY);
  let at = Math.floor(start + rng.next() * Math.min(14 * DAY, (now - start) / 4));

  const primary = customer.accounts[0]!;
  const deposit = customer.professional
    ? roundDown(logUniform(rng, 600_000_00, 5_000_000_00), 10_000_00)
    : realisticAmount(rng, logUniform(rng, 1_000_00, 500_000_00));
  // deposits arrive from outside: no policy decides them, though they count towards the day
  record('DEPOSIT', null, deposit, CLEARING_ACCOUNT_ID, primary.id, at, []);
  primary.balance += deposit;
  const second = customer.accounts[1];
  if (second && rng.chance(0.5)) {
    const amount = realisticAmount(rng, logUniform(rng, 500_00, 50_000_00));
    at += rng.int(MINUTE, 3 * DAY);
    record('DEPOSIT', null, amount, CLEARING_ACCOUNT_ID, second.id, at, []);
    second.balance += amount;
  }

  const actions: Action[] = [];
  const purchases = rng.weighted(PURCHASE_COUNTS) + (customer.professional ? 1 : 0);
  for (let k = 0; k < purchases; k++) actions.push('purchase');
  if (purchases > 0 && rng.chance(0.25)) actions.splice(rng.int(1, actions.length), 0, 'redemption');
  if (customer.index > 0 && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'transfer');
  if (customer.index > 0 && customer.professional && rng.chance(0.15)) actions.splice(rng.int(0, actions.length), 0, 'largeTransfer');

  const positions = new Map<number, number>();
  /** When the customer acknowledged each disclosure they read (once per version). */
  const acknowledged = new Map<number, number>();
  const acknowledgedAt = (disclosure: { id: number }) => acknowledged.get(disclosure.id) ?? null;
  for (let k = 0; k < actions.length; k++) {
    // spread the remaining actions over the time left, never past `now`
    at += Math.floor((rng.next() * 2 * Math.max(0, now - MINUTE - at)) / (actions.length - k + 1));
    const from = customer.accounts.reduce((a, b) => (b.balance > a.balance ? b : a));
    switch (actions[k]!) {
      case 'purchase': {
        const activity = activityAt(deciding, customer, at);
        const choice = chooseOffer(ledger.offers, from.balance, ledger.choose(customer, from.id, at, activity), rng);
        if (!choice) break;
        const { offer, verdict } = choice;
        const target = Math.floor(from.balance * rng.between(0.1, 0.7));
        const amount = Math.min(from.balance, Math.max(offer.minCents, roundDown(target, granularity(target))));
        // what they read, they acknowledge just before buying
        for (const disclosure of acknowledgedBeforeBuying(offer.product, at, verdict.read)) {
          if (acknowledged.has(disclosure.id)) continue;
          const when = Math.max(disclosure.publishedAt, at - rng.int(MINUTE, 10 * MINUTE));
          acknowledged.set(disclosure.id, when);
          out.acknowledgements.push({ customer_id: customer.id, disclosure_id: disclosure.id, acknowledged_at: iso(when) });
        }
        const alerts = alertsOf(decidePurchase(deciding, customer, offer.product, from.id, amount, at, verdict.confirmed, activity, acknowledgedAt));
        if (!alerts) break;
        const id = record('PURCHASE', offer.productId, amount, from.id, offer.accountId, at, alerts);
        const confirmation = verdict.confirmed && confirmationOf(decidePurchase(deciding, customer, offer.product, from.id, amount, at, false, activity, acknowledgedAt), deciding, id, at);
        if (confirmation) out.confirmations.push(confirmation);
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
        const alerts = alertsOf(decideRedemption(deciding, customer, primary.id, ledger.offerOf.get(productId)!.product, amount, at, acknowledgedAt));
        if (!alerts) break;
        record('REDEMPTION', productId, amount, productAccountId(productId), primary.id, at, alerts);
        primary.balance += amount;
        positions.set(productId, position - amount);
        break;
      }
      case 'transfer': {
        if (from.balance < 100_00) break;
        const target = rng.between(50_00, Math.min(50_000_00, from.balance / 2));
        const amount = Math.min(from.balance, Math.max(1_00, realisticAmount(rng, target)));
        transfer(ledger, record, customer, from, rng.int(0, customer.index - 1), amount, at);
        break;
      }
      case 'largeTransfer': {
        // at least what the policies call large on its own, when the balance reaches that
        const receiver = rng.int(0, customer.index - 1);
        const to = ledger.primaryAccount[receiver]!;
        if (ledger.largeTransfer === undefined) ledger.largeTransfer = leastLargeTransfer(deciding, customer, from.id, to, receiver, at);
        const threshold = ledger.largeTransfer;
        if (threshold === null || threshold > from.balance) break;
        const amount = threshold + roundDown(rng.between(0, from.balance - threshold), 10_000_00);
        // some split it in two, minutes apart, as if that kept it small: the same-day total does not
        const first = rng.chance(0.5) ? roundDown(amount * rng.between(0.4, 0.6), 1_000_00) : amount;
        const second = first < amount ? Math.min(at + rng.int(5, 90) * MINUTE, now - 1) : null;
        if (!receives(ledger, receiver, at) || (second !== null && !receives(ledger, receiver, second))) break;
        if (!transfer(ledger, record, customer, from, receiver, first, at)) break;
        if (second !== null) {
          at = second;
          transfer(ledger, record, customer, from, receiver, amount - first, at);
        }
        break;
      }
    }
  }

  for (const [productId, cents] of positions) {
    out.positions.push({ customer_id: customer.id, product_id: productId, amount: decimal(cents) });
  }
}

type Recorder = ReturnType<typeof recorder>;

/**
 * Whether customer `receiver` can be credited at `at` without changing what was decided after:
 * the seed writes their history before this transfer (activity.ts).
 */
function receives(ledger: Ledger, receiver: number, at: number): boolean {
  return ledger.deciding.activity.canReceive(receiver, at, ledger.deciding.businessDay(at));
}

/** Transfers `cents` to customer `receiver`'s first account, if they can receive it then and the policies allow it; whether it happened. */
function transfer(ledger: Ledger, record: Recorder, customer: AccountHolder, from: CustomerAccount, receiver: number, cents: number, at: number): boolean {
  if (!receives(ledger, receiver, at)) return false;
  const to = ledger.primaryAccount[receiver]!;
  const alerts = alertsOf(decideTransfer(ledger.deciding, customer, from.id, to, receiver, cents, at));
  if (!alerts) return false;
  record('TRANSFER', null, cents, from.id, to, at, alerts, receiver);
  from.balance -= cents;
  return true;
}

/**
 * Books the customer's movements: a completed two-posting transaction of `cents` from one account
 * to another, with the alerts its decision obliged, each booked to the customer on its side (a
 * transfer's INCOMING side is its receiver's, by index), and notes it in the activity the next
 * decisions are asked with. Returns the transaction's id.
 */
function recorder(ledger: Ledger, customer: AccountHolder, out: CustomerBatch) {
  return (
    type: TransactionType,
    productId: number | null,
    cents: number,
    fromAccount: number,
    toAccount: number,
    at: number,
    alerts: readonly AlertObligation[],
    receiver: number | null = null,
  ): number => {
    const id = ledger.nextTransactionId++;
    const amount = decimal(cents);
    out.transactions.push({
      id,
      type,
      status: 'COMPLETED',
      amount,
      currency: CURRENCY,
      customer_id: customer.id,
      product_id: productId,
      receiving_customer_id: receiver === null ? null : receiver + 1,
      created_at: iso(at),
    });
    out.postings.push(
      { transaction_id: id, account_id: fromAccount, amount: `-${amount}` },
      { transaction_id: id, account_id: toAccount, amount },
    );
    const parties: AlertParties<number> =
      receiver !== null ? { OUTGOING: customer.id, INCOMING: receiver + 1 } : type === 'PURCHASE' ? { OUTGOING: customer.id } : { INCOMING: customer.id };
    out.alerts.push(...alertRows(alerts, parties, id, at, ledger.rng, ledger.now));
    ledger.deciding.activity.add(customer.index, id, type, cents, at, receiver);
    return id;
  };
}
