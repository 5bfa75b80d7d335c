// What the demo ledger has booked so far, kept compactly (a few typed arrays, not rows), and the
// `amlActivity` fact built from it exactly as src/data/facts.ts loads it from the transactions
// table for a movement: each party's business day per side and type (a transfer is outgoing for its
// sender and incoming for its receiver; deposits and redemptions are incoming, purchases outgoing),
// and the acting customer's own movements over the fact's windows and today's amounts per side.
//
// The gateway books movements in time order; the seed books one customer's whole history, then the
// next one's, and transfers go to customers generated earlier. So a transfer lands in a receiver's
// history after the fact: it may only land where no screened movement on the receiver's incoming
// side of that business day comes after it (`canReceive`), since that one was decided without it.
// Every fact then says what the ledger in time order says.

import { OWN_AMOUNTS, type AmlActivityFact, type OwnMovements, type Side, type SideTotals } from '../../data/facts.ts';
import { AML_WINDOWS_MINUTES } from '../../policy/vocabulary.ts';
import { decimal } from './amounts.ts';
import { CURRENCY } from './market.ts';
import type { TransactionType } from './rows.ts';
import { MINUTE, type BusinessDay } from './time.ts';

const TYPES: readonly TransactionType[] = ['DEPOSIT', 'PURCHASE', 'REDEMPTION', 'TRANSFER'];
const OWN_TYPES = new Set<TransactionType>(['PURCHASE', 'REDEMPTION', 'TRANSFER']);
const LONGEST_WINDOW = Math.max(...AML_WINDOWS_MINUTES) * MINUTE;

/** The side of its customer's day a transaction booked to them is on: what they send or buy goes out. */
const sideOfOwn = (type: TransactionType): Side => (type === 'PURCHASE' || type === 'TRANSFER' ? 'OUTGOING' : 'INCOMING');

/** No movement within any of the fact's windows. */
const noneWithin = (): Record<string, number> => Object.fromEntries(AML_WINDOWS_MINUTES.map((m) => [String(m), 0]));

/** The fact for customer `index` with no movement in any window, sending to `receiver` with nothing that day either. */
export function quietActivity(index: number, receiver: number | null): AmlActivityFact {
  return {
    currency: CURRENCY,
    customer: { id: String(index + 1), today: {}, own: { within: noneWithin(), todayAmounts: {} } },
    receiver: receiver === null ? null : { id: String(receiver + 1), today: {} },
  };
}

/** The demo's booked transactions (all in the demo's one currency), by customer index. */
export interface Activity {
  /**
   * Notes transaction `id` (ids come in order, each customer's own together) booked to customer
   * `index`; `receiver`: the index of the customer a transfer credits.
   */
  add(index: number, id: number, type: TransactionType, cents: number, at: number, receiver: number | null): void;
  /** The fact for customer `index` moving money at `at` on `day`, with the customer a transfer credits. */
  fact(index: number, at: number, day: BusinessDay, receiver: number | null): AmlActivityFact;
  /** Whether a transfer may credit customer `receiver` at `at`: no screened movement on their incoming side comes later that `day`. */
  canReceive(receiver: number, at: number, day: BusinessDay): boolean;
}

/** An empty record for `total` customers. */
export function newActivity(total: number): Activity {
  let at = new Float64Array(1024);
  let cents = new Float64Array(1024);
  let types = new Uint8Array(1024);
  // each customer's own transactions are the ids [first, end)
  const first = new Float64Array(total);
  const end = new Float64Array(total);
  const received = new Map<number, number[]>();

  /** A party's transactions of `day` up to `until`, per side and type. */
  const today = (index: number, until: number, day: BusinessDay): SideTotals => {
    const sums = new Map<string, { side: Side; type: TransactionType; cents: number; count: number }>();
    const count = (side: Side, type: TransactionType, id: number) => {
      const key = `${side} ${type}`;
      const sum = sums.get(key) ?? sums.set(key, { side, type, cents: 0, count: 0 }).get(key)!;
      sum.cents += cents[id]!;
      sum.count++;
    };
    for (let id = end[index]! - 1; id >= first[index]! && at[id]! >= day.start; id--) {
      const type = TYPES[types[id]!]!;
      if (at[id]! <= until) count(sideOfOwn(type), type, id);
    }
    for (const id of received.get(index) ?? []) if (at[id]! >= day.start && at[id]! < day.end && at[id]! <= until) count('INCOMING', 'TRANSFER', id);
    const totals: SideTotals = {};
    for (const sum of sums.values()) (totals[sum.side] ??= {})[sum.type] = { total: decimal(sum.cents), count: sum.count };
    return totals;
  };

  /** The acting customer's own movements before `now`: how many within each window, today's amounts per side, newest first. */
  const own = (index: number, now: number, day: BusinessDay): OwnMovements => {
    const within = noneWithin();
    const todayAmounts: Partial<Record<Side, string[]>> = {};
    for (let id = end[index]! - 1; id >= first[index]! && at[id]! > now - LONGEST_WINDOW; id--) {
      const type = TYPES[types[id]!]!;
      if (!OWN_TYPES.has(type)) continue;
      for (const m of AML_WINDOWS_MINUTES) if (now - at[id]! < m * MINUTE) within[String(m)]!++;
      if (at[id]! < day.start) continue;
      const amounts = (todayAmounts[sideOfOwn(type)] ??= []);
      if (amounts.length < OWN_AMOUNTS) amounts.push(decimal(cents[id]!));
    }
    return { within, todayAmounts };
  };

  return {
    add(index, id, type, amount, instant, receiver) {
      if (id >= at.length) {
        const grow = <A extends Float64Array | Uint8Array>(from: A, to: A): A => (to.set(from), to);
        at = grow(at, new Float64Array(at.length * 2));
        cents = grow(cents, new Float64Array(cents.length * 2));
        types = grow(types, new Uint8Array(types.length * 2));
      }
      at[id] = instant;
      cents[id] = amount;
      types[id] = TYPES.indexOf(type);
      if (end[index] === 0) first[index] = id;
      end[index] = id + 1;
      if (receiver !== null) (received.get(receiver) ?? received.set(receiver, []).get(receiver)!).push(id);
    },
    fact(index, now, day, receiver) {
      return {
        currency: CURRENCY,
        customer: { id: String(index + 1), today: today(index, now, day), own: own(index, now, day) },
        receiver: receiver === null ? null : { id: String(receiver + 1), today: today(receiver, now, day) },
      };
    },
    canReceive(receiver, instant, day) {
      const later = (id: number) => at[id]! > instant && at[id]! < day.end;
      for (let id = first[receiver]!; id < end[receiver]!; id++) if (TYPES[types[id]!] === 'REDEMPTION' && later(id)) return false;
      return !(received.get(receiver) ?? []).some(later);
    },
  };
}
