// The demo's customers: who they are and the accounts they hold. Identity numbers, phone numbers,
// QQ-style e-mail names and card numbers are unique by construction (a bijection scrambles each
// customer's index into its number space), valid (GB 11643 and Luhn check digits), and look real.

import { gb11643CheckChar, luhnCheckDigit } from '../identity.ts';
import { digits, weightedTable, type Random, type WeightedTable } from '../random.ts';
import { CURRENCY, INSTITUTIONS } from './market.ts';
import { CARD_BINS, COUNTIES, EMAIL_DOMAINS, GIVEN_NAMES, PHONE_PREFIXES, SURNAMES, type Era } from './population.ts';
import type { CustomerBatch } from './rows.ts';
import { DAY, iso, isoDate, MINUTE } from './time.ts';

// Identity numbers are unique by construction: customer i gets the (county, sequence) slot
// i mod ID_SLOTS, scrambled by a bijection, and a birth date whose day number is congruent to
// floor(i / ID_SLOTS) modulo DATE_CLASSES, so two customers sharing a slot never share a birthday.
const ID_SLOTS = COUNTIES.length * 999;
const DATE_CLASSES = 64;
/** The most customers the demo can give unique identity numbers. */
export const MAX_DEMO_CUSTOMERS = ID_SLOTS * DATE_CLASSES;
const PHONE_SPACE = PHONE_PREFIXES.length * 100_000_000;
const CARD_SPACE = 1_000_000_000;
const QQ_SPACE = 900_000_000;
const BIRTH_FIRST = Date.UTC(1945, 0, 1);
const BIRTH_LAST = Date.UTC(2006, 11, 31);
/** Customers signed up over this many years, the last one a month before `now`. */
const SIGN_UP_YEARS = 3;

/** A customer as the rest of the generation needs them. */
export interface NewCustomer {
  /** Position in sign-up order, from 0. */
  index: number;
  id: number;
  institutionId: number;
  professional: boolean;
  region: string;
  /** 'YYYY-MM-DD'. */
  birthDate: string;
  created: number;
}

/** One of a customer's accounts, with the balance the history has left in it (cents). */
export interface CustomerAccount {
  id: number;
  balance: number;
}

/** What generating customers keeps between them: the scrambling bijections and the next free numbers. */
export interface Registry {
  rng: Random;
  now: number;
  total: number;
  /** Province → the institutions servicing customers there, weighted. */
  servicing: Map<string, WeightedTable<number>>;
  idMultiplier: number;
  idOffset: number;
  phoneMultiplier: number;
  phoneOffset: number;
  cardMultiplier: number;
  cardOffset: number;
  qqMultiplier: number;
  qqOffset: number;
  nextAccountId: number;
  cardSerial: number;
}

/** A registry for `total` customers signing up before `now`; account ids continue from `firstAccountId`. */
export function customerRegistry(rng: Random, now: number, total: number, firstAccountId: number): Registry {
  if (birthDaysBefore(now - SIGN_UP_YEARS * 365 * DAY) < DATE_CLASSES) {
    throw new RangeError('`now` is too early for adult customers born from 1945');
  }
  const servicing = new Map<string, WeightedTable<number>>();
  for (const county of COUNTIES) {
    const province = provinceOf(county);
    const entries: [number, number][] = [];
    INSTITUTIONS.forEach((spec, k) => {
      if (spec.services && (!spec.services.provinces || spec.services.provinces.includes(province))) {
        entries.push([k + 1, spec.services.weight]);
      }
    });
    servicing.set(province, weightedTable(entries));
  }
  return {
    rng,
    now,
    total,
    servicing,
    idMultiplier: coprime(rng.int(ID_SLOTS >> 2, ID_SLOTS >> 1), ID_SLOTS),
    idOffset: rng.int(0, ID_SLOTS - 1),
    phoneMultiplier: coprime(rng.int(PHONE_SPACE / 4, PHONE_SPACE / 2), PHONE_SPACE),
    phoneOffset: rng.int(0, PHONE_SPACE - 1),
    cardMultiplier: coprime(rng.int(CARD_SPACE / 4, CARD_SPACE / 2), CARD_SPACE),
    cardOffset: rng.int(0, CARD_SPACE - 1),
    qqMultiplier: coprime(rng.int(QQ_SPACE / 4, QQ_SPACE / 2), QQ_SPACE),
    qqOffset: rng.int(0, QQ_SPACE - 1),
    nextAccountId: firstAccountId,
    cardSerial: 0,
  };
}

/** Customer `index` (id `index + 1`): signed up in id order, an adult with a valid identity number. */
export function registerCustomer(index: number, registry: Registry, out: Pick<CustomerBatch, 'customers'>): NewCustomer {
  const { rng, now } = registry;
  const id = index + 1;
  // ids follow sign-up order, as an identity column would have numbered them
  const signUpStart = now - SIGN_UP_YEARS * 365 * DAY;
  const created = Math.floor(signUpStart + ((index + rng.next()) / registry.total) * (now - 30 * DAY - signUpStart));

  // identity: (county, sequence) from the scrambled slot, birth date from the date class
  const slot = (((index % ID_SLOTS) * registry.idMultiplier) % ID_SLOTS + registry.idOffset) % ID_SLOTS;
  const county = COUNTIES[slot % COUNTIES.length]!;
  const sequence = Math.floor(slot / COUNTIES.length) + 1;
  const dateClass = Math.floor(index / ID_SLOTS);
  const classDays = Math.floor((birthDaysBefore(created) - 1 - dateClass) / DATE_CLASSES) + 1;
  // the mean of two uniforms: most customers are of working age, few are very old or very young
  const birthDay = dateClass + DATE_CLASSES * Math.floor(((rng.next() + rng.next()) / 2) * classDays);
  const birth = BIRTH_FIRST + birthDay * DAY;
  const birthDate = isoDate(birth);
  const first17 = `${county}${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  const male = sequence % 2 === 1; // GB 11643: an odd sequence number is a man

  const [surname, pinyin] = rng.weighted(SURNAMES);
  const year = new Date(birth).getUTCFullYear();
  const era: Era = year < 1970 ? 'before1970' : year < 1990 ? 'before1990' : 'later';
  const name = surname + rng.pick(GIVEN_NAMES[male ? 'male' : 'female'][era]);

  const phoneNumber = (index * registry.phoneMultiplier + registry.phoneOffset) % PHONE_SPACE;
  const phone = PHONE_PREFIXES[Math.floor(phoneNumber / 100_000_000)]! + String(phoneNumber % 100_000_000).padStart(8, '0');

  let email: string | null = null;
  if (rng.chance(0.7)) {
    const domain = rng.weighted(EMAIL_DOMAINS);
    const unique = ((index % QQ_SPACE) * registry.qqMultiplier + registry.qqOffset) % QQ_SPACE + 100_000_000;
    email = domain === 'qq.com' || domain === 'foxmail.com' ? `${unique}@${domain}` : `${pinyin}_${unique.toString(36)}@${domain}`;
  }

  const professional = rng.chance(0.05);
  const region = provinceOf(county);
  const institutionId = rng.weighted(registry.servicing.get(region)!);
  out.customers.push({
    id,
    institution_id: institutionId,
    name,
    id_number: first17 + gb11643CheckChar(first17),
    phone,
    email,
    birth_date: birthDate,
    investor_type: professional ? 'PROFESSIONAL' : 'ORDINARY',
    region,
    created_at: iso(created),
  });
  return { index, id, institutionId, professional, region, birthDate, created };
}

/** The customer's debit-card accounts: one, or for three in ten two, opened at sign-up. */
export function openAccounts(customer: NewCustomer, registry: Registry, out: Pick<CustomerBatch, 'accounts'>): CustomerAccount[] {
  const { rng } = registry;
  const accounts: CustomerAccount[] = [];
  const accountCount = rng.chance(0.3) ? 2 : 1;
  for (let k = 0; k < accountCount; k++) {
    const card = cardNumber(registry);
    const accountId = registry.nextAccountId++;
    out.accounts.push({
      id: accountId,
      kind: 'CUSTOMER',
      customer_id: customer.id,
      product_id: null,
      name: `${card.bank}借记卡`,
      currency: CURRENCY,
      card_number: card.number,
      allow_negative: false,
      created_at: iso(customer.created + k * rng.int(1, 9) * MINUTE),
    });
    accounts.push({ id: accountId, balance: 0 });
  }
  return accounts;
}

/** How many birth dates from 1945 to 2006 make a customer an adult (18) at `signUp`. */
function birthDaysBefore(signUp: number): number {
  const date = new Date(signUp);
  const last = Math.min(BIRTH_LAST, Date.UTC(date.getUTCFullYear() - 18, date.getUTCMonth(), date.getUTCDate()) - DAY);
  return Math.floor((last - BIRTH_FIRST) / DAY) + 1;
}

function provinceOf(county: string): string {
  return `${county.slice(0, 2)}0000`;
}

function cardNumber(registry: Registry): { number: string; bank: string } {
  const { bin, length, bank } = registry.rng.weighted(CARD_BINS);
  const serial = registry.cardSerial++;
  const unique = String(((serial % CARD_SPACE) * registry.cardMultiplier + registry.cardOffset) % CARD_SPACE).padStart(9, '0');
  const partial = length === 19 ? `${bin}${digits(registry.rng, 3)}${unique}` : `${bin}${unique}`;
  return { number: partial + luhnCheckDigit(partial), bank };
}

/** The smallest m ≥ candidate with gcd(m, modulus) = 1, so that x ↦ x·m mod modulus is a bijection. */
function coprime(candidate: number, modulus: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let m = candidate;
  while (gcd(m, modulus) !== 1) m++;
  return m;
}
