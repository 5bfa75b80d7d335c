import { describe, expect, it } from 'vitest';
import { ALL, and, matches, NONE, not, or, type Condition } from '../../src/policy/condition.ts';

// Row conditions as policies combine them, and as a single record is decided against them.

const mine: Condition = { op: 'eq', field: 'customerId', value: '7' };
const branch: Condition = { op: 'eq', field: 'institutionId', value: 3 };

describe('combining row conditions', () => {
  it('and: nothing when any part admits nothing, the parts that limit, or everything when none does', () => {
    expect(and([mine, NONE, ALL])).toBe(NONE);
    expect(and([ALL, mine])).toBe(mine);
    expect(and([ALL, ALL])).toBe(ALL);
    expect(and([])).toBe(ALL);
    expect(and([mine, ALL, branch])).toEqual({ op: 'and', value: [mine, branch] });
  });

  it('or: everything when any part admits everything, the parts that admit some, or nothing when none does', () => {
    expect(or([mine, ALL, NONE])).toBe(ALL);
    expect(or([NONE, mine])).toBe(mine);
    expect(or([NONE, NONE])).toBe(NONE);
    expect(or([])).toBe(NONE);
    expect(or([mine, NONE, branch])).toEqual({ op: 'or', value: [mine, branch] });
  });

  it('not: everything and nothing swap; anything else is negated', () => {
    expect(not(ALL)).toBe(NONE);
    expect(not(NONE)).toBe(ALL);
    expect(not(mine)).toEqual({ op: 'not', value: mine });
  });
});

describe('deciding one record', () => {
  it('compares values as strings: a number in a policy equals the same key from PostgreSQL', () => {
    expect(matches(branch, { institutionId: '3' })).toBe(true);
    expect(matches(branch, { institutionId: '30' })).toBe(false);
    expect(matches({ op: 'in', field: 'region', value: ['BJ', 'SH'] }, { region: 'SH' })).toBe(true);
    expect(matches({ op: 'in', field: 'region', value: ['BJ', 'SH'] }, { region: 'GZ' })).toBe(false);
  });

  it('never lets a missing attribute or a null equal anything, a null included (SQL semantics)', () => {
    for (const attributes of [{}, { customerId: null }, { customerId: undefined }]) {
      expect(matches(mine, attributes)).toBe(false);
      expect(matches({ op: 'eq', field: 'customerId', value: null }, attributes)).toBe(false);
      expect(matches({ op: 'in', field: 'customerId', value: ['7', null] }, attributes)).toBe(false);
    }
    // not even the text of a null: nothing is compared with it
    expect(matches({ op: 'eq', field: 'customerId', value: null }, { customerId: 'null' })).toBe(false);
    expect(matches({ op: 'eq', field: 'region', value: 'null' }, { region: null })).toBe(false);
    expect(matches({ op: 'eq', field: 'region', value: 'undefined' }, {})).toBe(false);
  });

  it('lets a set of keys equal each key it holds', () => {
    const holder: Condition = { op: 'eq', field: 'holderIds', value: '7' };
    expect(matches(holder, { holderIds: ['5', '7'] })).toBe(true);
    expect(matches(holder, { holderIds: ['5'] })).toBe(false);
    expect(matches({ op: 'ne', field: 'holderIds', value: '7' }, { holderIds: ['5', '7'] })).toBe(false);
  });

  it('combines with and, or and not', () => {
    const record = { customerId: '7', institutionId: '4' };
    expect(matches({ op: 'and', value: [mine, branch] }, record)).toBe(false);
    expect(matches({ op: 'or', value: [mine, branch] }, record)).toBe(true);
    expect(matches({ op: 'not', value: branch }, record)).toBe(true);
    expect(matches(ALL, record)).toBe(true);
    expect(matches(NONE, record)).toBe(false);
  });
});
