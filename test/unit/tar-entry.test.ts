import { describe, expect, it } from 'vitest';
import { tarEntry } from '../../src/policy/build.ts';

// Reading one file out of the tar archive `opa build` writes, as Go's archive/tar may write it.

/** One 512-byte tar header (the parser reads name, size, type and the ustar prefix only). */
function header(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number) => block.set(Buffer.from(text, 'utf8'), at);
  put(name, 0);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block[156] = type.charCodeAt(0);
  put('ustar\0', 257);
  put(prefix, 345);
  return block;
}
/** A tar entry: its header, and its body padded to whole 512-byte blocks. */
function entry(name: string, body: string | Uint8Array, type = '0', prefix = ''): Uint8Array[] {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const padded = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
  padded.set(bytes);
  return [header(name, bytes.length, type, prefix), padded];
}
const archive = (...parts: Uint8Array[][]) => new Uint8Array(Buffer.concat([...parts.flat(), new Uint8Array(1024)]));
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));
const pax = (path: string) => {
  const record = ` path=${path}\n`;
  let length = record.length + 2;
  if (String(length).length + record.length !== length) length++;
  return `${length}${record}`;
};

describe('a file in a tar archive', () => {
  it('is found by name, with or without a leading "./" or "/", after entries of any size', () => {
    const tar = archive(entry('./', '', '5'), entry('./data.json', 'x'.repeat(600)), entry('./policy.wasm', 'wasm bytes'));
    expect(text(tarEntry(tar, 'policy.wasm'))).toBe('wasm bytes');
    expect(text(tarEntry(tar, '/policy.wasm'))).toBe('wasm bytes');
    expect(text(tarEntry(tar, '././policy.wasm'))).toBe('wasm bytes');
    expect(text(tarEntry(tar, 'data.json'))).toBe('x'.repeat(600));
  });

  it('counts an old-style regular file (type NUL), but never a directory of that name', () => {
    expect(text(tarEntry(archive(entry('policy.wasm', 'old', '\0')), 'policy.wasm'))).toBe('old');
    expect(tarEntry(archive(entry('policy.wasm', '', '5')), 'policy.wasm')).toBeNull();
  });

  it('takes a long name from a pax header or a GNU long-name entry, for the next entry only', () => {
    const long = `${'deep/'.repeat(30)}policy.wasm`;
    expect(text(tarEntry(archive(entry('PaxHeaders/x', pax(long), 'x'), entry('truncated', 'from pax')), long))).toBe('from pax');
    expect(text(tarEntry(archive(entry('././@LongLink', long, 'L'), entry('truncated', 'from gnu')), long))).toBe('from gnu');
    const twoAfter = archive(entry('PaxHeaders/x', pax(long), 'x'), entry('first', 'a'), entry('second', 'b'));
    expect([text(tarEntry(twoAfter, long)), text(tarEntry(twoAfter, 'first')), text(tarEntry(twoAfter, 'second'))]).toEqual(['a', null, 'b']);
  });

  it('joins a ustar prefix and the name', () => {
    expect(text(tarEntry(archive(entry('policy.wasm', 'prefixed', '0', 'bundle/v1')), 'bundle/v1/policy.wasm'))).toBe('prefixed');
  });

  it('is null when missing, and nothing after the end-of-archive blocks counts', () => {
    const tar = archive(entry('data.json', '{}'));
    expect(tarEntry(tar, 'policy.wasm')).toBeNull();
    expect(tarEntry(new Uint8Array(Buffer.concat([tar, ...entry('policy.wasm', 'after the end')])), 'policy.wasm')).toBeNull();
    expect(tarEntry(new Uint8Array(0), 'policy.wasm')).toBeNull();
  });

  it('is found as the last entry of an archive cut off without its end blocks', () => {
    expect(text(tarEntry(new Uint8Array(Buffer.concat(entry('policy.wasm', ''))), 'policy.wasm'))).toBe('');
  });
});
