import type { Sql } from '../db/database.ts';
import type { ResourceType } from '../resources.ts';
import { ALL, type Condition } from './condition.ts';
import type { Obligations } from './types.ts';

type Issue = (action: string, resource: ResourceType, rows: Condition, obligations: Obligations, records: RecordDecider | undefined) => Permit;
const issuers = new Map<'gate' | 'system', Issue>();

/**
 * Proof that an action was allowed, carrying the rows it covers. Every data-access function takes
 * one and refuses anything else (`null` included): a plain object shaped like a permit is not one,
 * because only this class's constructor sets the private brand, and only two holders can call it:
 * the gate (for callers) and the system path (for reads made for the system itself).
 */
export class Permit {
  // the brand: only its presence is checked
  readonly #issued: undefined;

  private constructor(
    /** The allowed action, e.g. `customer.read`. */
    readonly action: string,
    /** The resource type whose rows the action covers. */
    readonly resource: ResourceType,
    /** The rows this permit covers, as a condition on the resource's attributes. */
    readonly rows: Condition,
    /** What the decision obliges the holder to do (e.g. alerts to raise with a purchase). */
    readonly obligations: Obligations,
    /** For record-level decisions inside a write (see `RecordDecider`); absent on system permits. */
    readonly records: RecordDecider | undefined,
  ) {
    Object.freeze(this);
  }

  /** Whether `value` is a permit made by an issuer (a forged object never is). */
  static is(value: unknown): value is Permit {
    return typeof value === 'object' && value !== null && #issued in value;
  }

  static {
    issuers.set('gate', (action, resource, rows, obligations, records) => new Permit(action, resource, rows, obligations, records));
    issuers.set('system', (action, resource) => new Permit(action, resource, ALL, {}, undefined));
  }
}

/** How the holder of a permit for a write asks the gate about one record, under the write's locks. */
export interface RecordDecider {
  /**
   * Loads the facts the policy modules in force need about one record (and the ones named in `also`,
   * which the write needs itself), on the write's transaction; statements are sent at once.
   */
  facts(tx: Sql, keys: FactSubject['keys'], also?: readonly string[]): Promise<Readonly<Record<string, unknown>>>;
  /** Decides the permit's action on one record with its facts; throws `POLICY_DENIED` when denied. */
  decide(record: RecordDocument): Obligations;
  /**
   * Lets the observers add their rows to the write's transaction (awaited with its COMMIT). Throws
   * synchronously when a hook cannot build its rows, so a COMMIT pipelined behind it is never sent.
   */
  observe(tx: Sql): Promise<void>;
}

/** The record a write acts on, as policies see it. */
export interface RecordDocument {
  type: ResourceType;
  id: string;
  /** The resource's attributes (what access rules match). */
  attributes: Readonly<Record<string, unknown>>;
  /** Facts loaded for it (see `RecordDecider.facts`). */
  facts: Readonly<Record<string, unknown>>;
  /** The write's input, as policies see it (e.g. the amount and a confirmation). */
  args?: Readonly<Record<string, unknown>>;
}

/** What fact providers are asked about: the keys a write names, and when. */
export interface FactSubject {
  /** Database keys by role, e.g. `{ account: '12', product: '7' }`. */
  keys: Readonly<Record<string, string | undefined>>;
  /** The request's instant. */
  now: Date;
  /** The business day's time zone (FINGATE_TIME_ZONE): what "today" means. */
  timeZone: string;
}


/**
 * Hands the permit issuer to its one holder, once: the gate takes `gate` and the system path takes
 * `system` when they load. A second taker fails, so no other module can make permits unnoticed.
 */
export function takeIssuer(holder: 'gate' | 'system'): Issue {
  const issue = issuers.get(holder);
  if (!issue) throw new Error(`the ${holder} permit issuer was already taken`);
  issuers.delete(holder);
  return issue;
}

/** Refuses anything but a permit (for `resource`, when given). Every data-access function calls it. */
export function checkPermit(permit: unknown, resource?: ResourceType): asserts permit is Permit {
  if (!Permit.is(permit)) throw new Error('data access refused: no permit from the gate');
  if (resource !== undefined && permit.resource !== resource) {
    throw new Error(`data access refused: a ${permit.action} permit covers ${permit.resource} rows, not ${resource}`);
  }
}
