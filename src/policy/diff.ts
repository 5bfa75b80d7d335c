/**
 * A unified, line-based diff of two texts (LCS), for `fingate policy diff`: policy files are short,
 * so the quadratic table is cheap and the output reads like `git diff`.
 */
export function unifiedDiff(before: string, after: string, { context = 3, from = 'before', to = 'after' } = {}): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const lines: { kind: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // past the end of one text its line is undefined, equal to no line of the other
    if (a[i] === b[j]) {
      lines.push({ kind: ' ', text: a[i++]! });
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      lines.push({ kind: '-', text: a[i++]! });
    } else {
      lines.push({ kind: '+', text: b[j++]! });
    }
  }
  const changed = lines.map((l, k) => (l.kind === ' ' ? -1 : k)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${from}`, `+++ ${to}`];
  let shownUpTo = -1;
  for (const k of changed) {
    const start = Math.max(k - context, shownUpTo + 1);
    if (start > shownUpTo + 1 && shownUpTo >= 0) out.push('…');
    for (let n = start; n <= Math.min(k + context, lines.length - 1); n++) {
      out.push(`${lines[n]!.kind}${lines[n]!.text}`);
      shownUpTo = n;
    }
  }
  return `${out.join('\n')}\n`;
}
