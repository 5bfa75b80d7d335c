import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { generateDemo } from '../../src/seed/demo/generator.ts';
import {
  birthDateOf,
  gb11643CheckChar,
  isValidIdNumber,
  isValidLuhn,
  isValidMobile,
  luhnCheckDigit,
} from '../../src/seed/identity.ts';
import { policiesInForce } from './seed-policies.ts';

const now = new Date('2026-06-30T00:00:00Z');
const policies = await policiesInForce();
const timeZone = loadConfig({}).timeZone;

describe('GB 11643 resident identity numbers', () => {
  it('computes the check characters of the examples in the standard', () => {
    expect(gb11643CheckChar('11010519491231002')).toBe('X');
    expect(gb11643CheckChar('44052418800101001')).toBe('4');
  });

  it('accepts well-formed numbers with a real birth date and the right check character', () => {
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
    expect(isValidIdNumber('440524188001010014')).toBe(true);
    const leapDay = '11010820000229003';
    expect(isValidIdNumber(leapDay + gb11643CheckChar(leapDay))).toBe(true);
  });

  it('rejects a wrong or lower-case check character', () => {
    expect(isValidIdNumber('110105194912310021')).toBe(false);
    expect(isValidIdNumber('11010519491231002x')).toBe(false);
    expect(isValidIdNumber('440524188001010015')).toBe(false);
  });

  it('rejects impossible and future birth dates even with a matching check character', () => {
    for (const first17 of ['11010519490230002', '11010519490229002', '11010519491301002', '11010519491200002', '11010529990101002']) {
      expect(isValidIdNumber(first17 + gb11643CheckChar(first17))).toBe(false);
    }
  });

  it('rejects numbers of the wrong length or with other characters', () => {
    expect(isValidIdNumber('11010519491231002')).toBe(false);
    expect(isValidIdNumber('11010519491231002X0')).toBe(false);
    expect(isValidIdNumber('1101051949123100-X')).toBe(false);
    expect(isValidIdNumber('01010519491231002X')).toBe(false);
  });

  it('reads the birth date from digits 7 to 14', () => {
    expect(birthDateOf('11010519491231002X')).toBe('1949-12-31');
    expect(birthDateOf('440524188001010014')).toBe('1880-01-01');
    expect(() => birthDateOf('110105194912310021')).toThrow(RangeError);
  });
});

describe('Luhn check digits', () => {
  it('computes the check digit of known numbers', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(luhnCheckDigit('411111111111111')).toBe('1');
    expect(luhnCheckDigit('510510510510510')).toBe('0');
  });

  it('accepts valid numbers and rejects altered ones', () => {
    for (const number of ['79927398713', '4111111111111111', '5105105105105100', '378282246310005']) {
      expect(isValidLuhn(number)).toBe(true);
    }
    for (const number of ['79927398710', '4111111111111112', '5105105105105101', '97927398713', '7', '4111-1111-1111-1111']) {
      expect(isValidLuhn(number)).toBe(false);
    }
  });
});

describe('mainland mobile numbers', () => {
  it('accepts 11 digits starting with 13 to 19 and nothing else', () => {
    expect(isValidMobile('13812345678')).toBe(true);
    expect(isValidMobile('19912345678')).toBe(true);
    for (const phone of ['12812345678', '1381234567', '138123456789', '+8613812345678', '138-1234-5678']) {
      expect(isValidMobile(phone)).toBe(false);
    }
  });
});

describe('generated demo customers', () => {
  const demo = generateDemo({ customers: 2000, seed: 'identity-test', now, policies, timeZone });

  it('have valid identity numbers whose birth date is the customer birth date and whose region is the province', () => {
    expect(demo.customers).toHaveLength(2000);
    for (const customer of demo.customers) {
      expect(isValidIdNumber(customer.id_number), customer.id_number).toBe(true);
      expect(birthDateOf(customer.id_number)).toBe(customer.birth_date);
      expect(customer.region).toBe(`${customer.id_number.slice(0, 2)}0000`);
    }
  });

  it('are adults born between 1945 and 2006', () => {
    for (const customer of demo.customers) {
      expect(customer.birth_date >= '1945-01-01' && customer.birth_date <= '2006-12-31').toBe(true);
      const adult = new Date(customer.birth_date);
      adult.setUTCFullYear(adult.getUTCFullYear() + 18);
      expect(adult.getTime()).toBeLessThanOrEqual(Date.parse(customer.created_at));
    }
  });

  it('have valid mobile numbers and 16- or 19-digit card numbers with a Luhn check digit', () => {
    for (const customer of demo.customers) expect(isValidMobile(customer.phone), customer.phone).toBe(true);
    const cards = demo.accounts.filter((account) => account.kind === 'CUSTOMER').map((account) => account.card_number!);
    expect(cards.length).toBeGreaterThanOrEqual(2000);
    for (const card of cards) {
      expect([16, 19]).toContain(card.length);
      expect(isValidLuhn(card), card).toBe(true);
    }
  });

  it('share no identity number, mobile number or card number', () => {
    const unique = (values: string[]) => new Set(values).size;
    expect(unique(demo.customers.map((c) => c.id_number))).toBe(2000);
    expect(unique(demo.customers.map((c) => c.phone))).toBe(2000);
    const cards = demo.accounts.flatMap((account) => (account.card_number ? [account.card_number] : []));
    expect(unique(cards)).toBe(cards.length);
  });

  it('are the same for the same seed and differ for another seed', () => {
    expect(generateDemo({ customers: 2000, seed: 'identity-test', now, policies, timeZone })).toEqual(demo);
    const other = generateDemo({ customers: 2000, seed: 'another seed', now, policies, timeZone });
    expect(other.customers.map((c) => c.id_number)).not.toEqual(demo.customers.map((c) => c.id_number));
    expect(other.transactions).not.toEqual(demo.transactions);
  });
});
