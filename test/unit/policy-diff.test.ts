// `fingate policy diff`: what compliance reads to review a new version before activating it.

import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/policy/diff.ts';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const text = (l: string[]) => l.join('\n');
const replace = (l: string[], changes: Record<number, string>) => l.map((line, i) => changes[i + 1] ?? line);

describe('unifiedDiff', () => {
  it('is empty for the same text', () => {
    expect(unifiedDiff(text(lines(5)), text(lines(5)))).toBe('');
  });

  it('shows a changed line with three lines of context each side under the two names', () => {
    expect(unifiedDiff(text(lines(10)), text(replace(lines(10), { 5: 'five' })), { from: 'access.v4.yaml', to: 'access.v5.yaml' }).split('\n')).toEqual([
      '--- access.v4.yaml',
      '+++ access.v5.yaml',
      ' line 2',
      ' line 3',
      ' line 4',
      '-line 5',
      '+five',
      ' line 6',
      ' line 7',
      ' line 8',
      '',
    ]);
  });

  it('separates changes further apart than twice the context, and shows each context line once', () => {
    const before = lines(12);
    expect(unifiedDiff(text(before), text(replace(before, { 2: 'two', 11: 'eleven' })), { context: 2 }).split('\n')).toEqual([
      '--- before',
      '+++ after',
      ' line 1',
      '-line 2',
      '+two',
      ' line 3',
      ' line 4',
      '…',
      ' line 9',
      ' line 10',
      '-line 11',
      '+eleven',
      ' line 12',
      '',
    ]);
    expect(unifiedDiff(text(lines(8)), text(replace(lines(8), { 4: 'four', 6: 'six' })), { context: 1 }).split('\n').slice(2)).toEqual([
      ' line 3',
      '-line 4',
      '+four',
      ' line 5',
      '-line 6',
      '+six',
      ' line 7',
      '',
    ]);
  });

  it('keeps the common lines in order around lines removed and added', () => {
    expect(unifiedDiff('a\nb\nc', 'a\nc\nd').split('\n').slice(2)).toEqual([' a', '-b', ' c', '+d', '']);
    expect(unifiedDiff('a\nb', 'x\na\nb').split('\n').slice(2)).toEqual(['+x', ' a', ' b', '']);
    expect(unifiedDiff('x\ny\na', 'a').split('\n').slice(2)).toEqual(['-x', '-y', ' a', '']);
    expect(unifiedDiff('x\na\nb', 'a\nb').split('\n').slice(2)).toEqual(['-x', ' a', ' b', '']);
    expect(unifiedDiff('c', 'a\nb\nb\nc').split('\n').slice(2)).toEqual(['+a', '+b', '+b', ' c', '']);
    expect(unifiedDiff('a\nb', 'a').split('\n').slice(2)).toEqual([' a', '-b', '']);
  });

  it('marks the gap after a first change on the first line', () => {
    expect(unifiedDiff('a\nb\nc', 'b\nc\nx', { context: 0 }).split('\n').slice(2)).toEqual(['-a', '…', '+x', '']);
  });
});
