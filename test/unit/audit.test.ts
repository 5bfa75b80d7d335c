// The audit module and chain without a database: what goes into a record and what never does,
// kinds and retention from the policy file, the file's own checks, the canonical form, signatures.

import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from '../../plugins/audit/redact.ts';
import { recordsOf } from '../../plugins/audit/records.ts';
import type { AuditBody } from '../../plugins/audit/body.ts';
import { canonical, chainHash, GENESIS, type ChainRecord } from '../../src/audit/chain.ts';
import { checkSignature, checkpointFile, newSigningKey, parseCheckpointFile, signerFrom } from '../../src/audit/checkpoint.ts';
import { loadConfig } from '../../src/config.ts';
import { loadPolicyFile, PolicyFileError } from '../../src/policy/file.ts';
import type { DecisionRecord, DecisionStream } from '../../src/policy/types.ts';
import { catalogue, modulesByName } from '../support/modules.ts';

const dir = loadConfig({}).policiesDir;
const { file: audit } = await loadPolicyFile(join(dir, 'audit', 'audit.v3.yaml'), modulesByName, catalogue);
const body = audit.body as AuditBody;
const never = new Set(body.neverRecord);

describe('what of a decision’s input may be recorded', () => {
  it('keeps ids, codes, amounts, instants and module@version', () => {
    const kept = { id: '12', global: 'Q3VzdG9tZXI6MTI', kind: 'CUSTOMER', amount: '500000.00', at: '2026-11-29T08:00:00.000Z', policy: 'access@2', n: 4, ok: true, none: null };
    expect(redact(kept, never)).toEqual(kept);
  });

  it('redacts the attributes the policy names, however innocent their value looks', () => {
    const personal = { name: 'Li', idNumber: '110101199001011234', phone: '13912345678', email: 'a@b.cn', birthDate: '1990-01-01', cardNumber: '6222021234567890123' };
    expect(redact({ resource: { attributes: personal } }, never)).toEqual({ resource: { attributes: Object.fromEntries(Object.keys(personal).map((k) => [k, REDACTED])) } });
  });

  it('redacts any other string that is not an id, code, amount or instant: names, e-mail addresses, free text', () => {
    expect(redact({ holder: '李海燕', contact: 'li.hai@example.com', note: 'Zhang San, 3 Main St', list: ['1', 'X Y'] }, never)).toEqual({
      holder: REDACTED,
      contact: REDACTED,
      note: REDACTED,
      list: ['1', REDACTED],
    });
  });
});

const principal = { id: 'advisor-1', roles: ['advisor'], institutionId: '3', scopes: [] };
function stream(decisions: Partial<DecisionRecord>[]): DecisionStream {
  const at = new Date('2026-01-31T10:00:00.000Z');
  return {
    requestId: 'r-1',
    operationName: 'Op',
    operationHash: 'a'.repeat(64),
    principal,
    purpose: 'audit',
    at,
    policies: [{ id: 'access@2', sha256: 'b'.repeat(64) }],
    decisions: decisions.map((d) => ({
      action: 'customer.read',
      resourceType: 'Customer',
      resourceIds: [],
      fieldPaths: [],
      masked: [],
      hidden: [],
      outcome: 'allow',
      verdicts: [],
      obligations: {},
      shadow: [],
      input: { principal, purpose: 'audit', action: d.action ?? 'customer.read', now: at },
      inTransaction: false,
      failed: false,
      ...d,
    })),
  };
}

describe('records, as audit@3 says', () => {
  it('files each action under its kind, kept as long as the kind says from the decision', () => {
    const s = stream([{ action: 'account.transfer' }, { action: 'transaction.complete' }, { action: 'customer.read' }, { action: 'customer.assessRisk' }, { action: 'policy.activate' }, { action: 'audit.read' }]);
    const records = recordsOf(s, s.decisions, body);
    expect(records.map((r) => [r.action, r.kind, r.retainUntil.toISOString()])).toEqual([
      ['account.transfer', 'transaction', '2036-01-31T10:00:00.000Z'],
      ['transaction.complete', 'transaction', '2036-01-31T10:00:00.000Z'],
      ['customer.read', 'access', '2029-01-31T10:00:00.000Z'],
      ['customer.assessRisk', 'suitability', '2046-01-31T10:00:00.000Z'],
      ['policy.activate', 'policy', '2046-01-31T10:00:00.000Z'],
      ['audit.read', 'trail', '2029-01-31T10:00:00.000Z'],
    ]);
  });

  it('files an action no kind lists under the default kind: recorded, never dropped', () => {
    const s = stream([{ action: 'loan.approve' }]);
    expect(recordsOf(s, s.decisions, body)).toMatchObject([{ kind: body.defaultKind }]);
  });

  it('leaves out allowed reads of data about no one, never their denials or failures', () => {
    const s = stream([
      { action: 'product.read', outcome: 'allow' },
      { action: 'product.read', outcome: 'deny' },
      { action: 'policy.read', outcome: 'allow', failed: true },
    ]);
    expect(recordsOf(s, s.decisions, body).map((r) => [r.action, r.decision, r.failed])).toEqual([
      ['product.read', 'DENY', false],
      ['policy.read', 'ALLOW', true],
    ]);
  });

  it('names where the decision was made: the root-most path, an act by its mutation field', () => {
    const s = stream([
      { action: 'customer.read', fieldPaths: ['customers.edges.node.name', 'customers'] },
      { action: 'account.transfer', fieldPaths: ['transfer'] },
    ]);
    expect(recordsOf(s, s.decisions, body).map((r) => r.fieldPath)).toEqual(['customers', 'Mutation.transfer']);
  });

  it('keeps a request id or purpose that is not a plain label only as a hash or redacted', () => {
    const s = { ...stream([{}]), requestId: 'Zhang San <zs@example.com>', purpose: 'because I can' };
    const [record] = recordsOf(s, s.decisions, body);
    expect(record!.requestId).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(record!.purpose).toBe(REDACTED);
  });
});

describe('an audit policy file that cannot mean what it says is refused with its line', async () => {
  const original = await readFile(join(dir, 'audit', 'audit.v3.yaml'), 'utf8');
  async function load(edit: (text: string) => string): Promise<PolicyFileError> {
    const root = await mkdtemp(join(tmpdir(), 'fingate-audit-policy-'));
    await cp(dir, root, { recursive: true });
    await writeFile(join(root, 'audit', 'audit.v3.yaml'), edit(original));
    const error = await loadPolicyFile(join(root, 'audit', 'audit.v3.yaml'), modulesByName, catalogue).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PolicyFileError);
    return error as PolicyFileError;
  }
  const lineOf = (needle: string) => original.split('\n').findIndex((line) => line.includes(needle)) + 1;

  it('an action no field declares (its records would be filed under the wrong kind)', async () => {
    expect((await load((t) => t.replace('actions: [product.purchase, product.redeem, account.transfer,', 'actions: [product.purchase, product.redeem, account.tranfser,'))).line).toBe(
      lineOf('actions: [product.purchase, product.redeem, account.transfer,'),
    );
  });

  it('an action under two kinds, a default kind that is not one, a retention of nothing', async () => {
    expect((await load((t) => t.replace('actions: [audit.read]', 'actions: [audit.read, customer.read]'))).line).toBeGreaterThan(1);
    expect((await load((t) => t.replace('defaultKind: access', 'defaultKind: everything'))).line).toBe(lineOf('defaultKind: access'));
    expect((await load((t) => t.replace('retention: { years: 10 }', 'retention: { years: 0 }'))).line).toBe(lineOf('retention: { years: 10 }'));
  });
});

describe('the chain hash', () => {
  it('binds the record to its position and to the hash before it', () => {
    const record: ChainRecord = { eventId: '7', canonical: '[1, 7, 1769853600123, "access"]' };
    const hash = chainHash(GENESIS, '1', record);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS, '2', record)).not.toBe(hash);
    expect(chainHash('1'.repeat(64), '1', record)).not.toBe(hash);
    expect(chainHash(GENESIS, '1', { ...record, canonical: record.canonical.replace('access', 'accesS') })).not.toBe(hash);
    expect(canonical('1', record)).toBe(`1:${record.canonical}`);
  });
});

describe('checkpoints', () => {
  const signer = signerFrom(newSigningKey());
  const checkpoint = signer.sign({ seq: '42', hash: 'c'.repeat(64), at: new Date('2026-01-31T10:00:00.000Z') });

  it('verify under the signing key, round-trip through their file, and show any change', () => {
    expect(checkSignature(checkpoint, signer.publicKey)).toBe('valid');
    expect(checkSignature(parseCheckpointFile(checkpointFile(checkpoint, signer.publicKey)), signer.publicKey)).toBe('valid');
    expect(checkSignature({ ...checkpoint, seq: '43' }, signer.publicKey)).toBe('invalid');
    expect(checkSignature({ ...checkpoint, hash: 'd'.repeat(64) }, signer.publicKey)).toBe('invalid');
  });

  it('signed by another key is reported as such', () => {
    expect(checkSignature(checkpoint, signerFrom(newSigningKey()).publicKey)).toBe('foreign-key');
  });

  it('a file that is not a checkpoint is BAD_USER_INPUT naming the option', () => {
    for (const text of ['not json', '{}', JSON.stringify({ ...JSON.parse(checkpointFile(checkpoint, signer.publicKey)), seq: 'one' })]) {
      expect(() => parseCheckpointFile(text, '--checkpoint')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: '--checkpoint' }) }));
    }
  });
});
