// How the policies in force answer a demo movement, asked as the gateway asks them
// (src/money/movements.ts): the movement's action on the customer's account, with the facts
// src/data/facts.ts would load for the movement's keys (facts.ts and activity.ts build them from the
// demo's own rows; those the keys give none of are null), and the input the customer sends. A
// movement the policies refuse does not happen; one they allow raises the alerts the decision
// obliges (the aml policy's, with their deadlines; suitability's when a warning was confirmed).

import type { AmlActivityFact, BusinessCalendarFact, DisclosureFact, LicencesFact, ProductFact } from '../../data/facts.ts';
import type { VersionSet } from '../../policy/runtime.ts';
import type { AlertObligation, Decision, PolicyRequest } from '../../policy/types.ts';
import { quietActivity, type Activity } from './activity.ts';
import { decimal } from './amounts.ts';
import { businessDayFact, currentDisclosures, customerFact, disclosuresFact, type Customer, type PublishedDisclosure } from './facts.ts';
import type { ProductOnOffer } from './purchases.ts';
import type { BusinessDay } from './time.ts';

/** A customer moving money: their index in sign-up order (the activity's key) too. */
export type Mover = Customer & { index: number };

/** What deciding a movement needs besides the movement: the policies in force, the days, the ledger so far. */
export interface Deciding {
  policies: Pick<VersionSet, 'decide' | 'facts' | 'policies'>;
  businessDay: (at: number) => BusinessDay;
  calendar: (day: BusinessDay) => BusinessCalendarFact;
  activity: Activity;
}

/** The facts about the product a movement deals in, as a purchase or redemption loads them. */
export interface ProductFacts {
  product: ProductFact | null;
  distributorLicences: LicencesFact | null;
  issuerLicences: LicencesFact | null;
  currentDisclosures: DisclosureFact[] | null;
}

/** A transfer deals in no product: its keys give none of these. */
const NO_PRODUCT: ProductFacts = { product: null, distributorLicences: null, issuerLicences: null, currentDisclosures: null };

/** The product's facts at `at`, with the customer's acknowledgement (when, in ms) of each current disclosure, if any. */
export function productFacts(product: ProductOnOffer, at: number, acknowledgedAt: (disclosure: PublishedDisclosure) => number | null): ProductFacts {
  return {
    product: product.fact,
    distributorLicences: product.distributorLicences,
    issuerLicences: product.issuerLicences,
    currentDisclosures: disclosuresFact(currentDisclosures(product.disclosures, at), acknowledgedAt),
  };
}

/** The request of a customer doing `action` on their account at `at`, with every fact the seed supplies. */
export function movementRequest(
  deciding: Deciding,
  action: string,
  customer: Customer,
  accountId: number,
  at: number,
  product: ProductFacts,
  amlActivity: AmlActivityFact,
  input: Record<string, string | boolean>,
): PolicyRequest {
  const day = deciding.businessDay(at);
  const customerId = String(customer.id);
  const account = String(accountId);
  const facts = customerFact(customer, at, day);
  return {
    principal: { id: `customer-${customerId}`, roles: ['customer'], customerId, scopes: [] },
    purpose: null,
    action,
    resource: { type: 'Account', id: account, attributes: { id: account, customerId, institutionId: facts.institutionId, kind: 'CUSTOMER' } },
    facts: {
      customer: facts,
      ...product,
      businessDay: businessDayFact(day),
      businessCalendar: deciding.calendar(day),
      amlActivity,
      coolingOff: null,
    },
    args: { input },
    now: new Date(at),
  };
}

/** The alerts an allowing decision obliges; null when it refuses. */
export function alertsOf(decision: Decision): readonly AlertObligation[] | null {
  return decision.allow ? (decision.obligations.alerts ?? []) : null;
}

/** The customer's activity fact at `at` (a transfer's receiver by index). */
export function activityAt(deciding: Deciding, customer: Mover, at: number, receiver: number | null = null): AmlActivityFact {
  return deciding.activity.fact(customer.index, at, deciding.businessDay(at), receiver);
}

/** Redeeming `cents` of a product into the customer's account at `at`. */
export function decideRedemption(
  deciding: Deciding,
  customer: Mover,
  accountId: number,
  product: ProductOnOffer,
  cents: number,
  at: number,
  acknowledgedAt: (disclosure: PublishedDisclosure) => number | null,
): Decision {
  const input = { productId: product.fact.id, accountId: String(accountId), amount: decimal(cents) };
  return deciding.policies.decide(
    movementRequest(deciding, 'product.redeem', customer, accountId, at, productFacts(product, at, acknowledgedAt), activityAt(deciding, customer, at), input),
  );
}

/** Transferring `cents` from the customer's account to the account of customer `receiver` (by index) at `at`. */
export function decideTransfer(deciding: Deciding, customer: Mover, from: number, to: number, receiver: number, cents: number, at: number): Decision {
  return deciding.policies.decide(transferRequest(deciding, customer, from, to, cents, at, activityAt(deciding, customer, at, receiver)));
}

function transferRequest(deciding: Deciding, customer: Customer, from: number, to: number, cents: number, at: number, activity: AmlActivityFact): PolicyRequest {
  const input = { fromAccountId: String(from), toAccountId: String(to), amount: decimal(cents) };
  return movementRequest(deciding, 'account.transfer', customer, from, at, NO_PRODUCT, activity, input);
}

/** The most a lone transfer is asked about while looking for the least the policies call large: ten billion yuan. */
const LARGEST_ASKED = 10_000_000_000_00;
/** Large transfers are round: the least large one is looked for in steps of ten thousand yuan. */
const STEP = 10_000_00;

/**
 * The least transfer (in steps of ten thousand yuan) the policies raise a LARGE_VALUE alert for on
 * its own, from a sender and to a receiver with nothing else that day; null when none up to
 * LARGEST_ASKED is. How the demo's professional investors pick an amount that will be reported.
 */
export function leastLargeTransfer(deciding: Deciding, customer: Mover, from: number, to: number, receiver: number, at: number): number | null {
  const lone = quietActivity(customer.index, receiver);
  const large = (steps: number) =>
    alertsOf(deciding.policies.decide(transferRequest(deciding, customer, from, to, steps * STEP, at, lone)))?.some((a) => a.kind === 'LARGE_VALUE') ?? false;
  let high = 1;
  while (!large(high)) if ((high *= 2) * STEP > LARGEST_ASKED) return null;
  let low = high / 2; // not large (or 0)
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (large(middle)) high = middle;
    else low = middle;
  }
  return high * STEP;
}
