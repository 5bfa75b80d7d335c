import { describe, expect, it } from 'vitest';
import { pipelined } from '../../src/money/frame.ts';

/** A promise settled after `ms`, with `value` or (an Error) as its rejection. */
const after = <T>(ms: number, value: T) =>
  new Promise<T>((resolve, reject) => setTimeout(() => (value instanceof Error ? reject(value) : resolve(value)), ms));

describe('pipelined statements', () => {
  it('resolve to every result in sending order', async () => {
    expect(await pipelined([after(5, 'begin'), after(1, 'claim'), Promise.resolve(3)])).toEqual(['begin', 'claim', 3]);
  });

  it('report the first failure in sending order, even when a later one rejects first', async () => {
    const claim = new Error('IDEMPOTENCY_IN_PROGRESS');
    const aborted = new Error('current transaction is aborted');
    await expect(pipelined([after(1, 'begin'), after(20, claim), after(2, aborted), after(3, aborted)])).rejects.toBe(claim);
  });
});
