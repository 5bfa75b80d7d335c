import { execFileSync } from 'node:child_process';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { suitabilityPolicy, type SuitabilityBody } from '../../plugins/suitability.ts';
import { StartupError } from '../../src/errors.ts';
import { buildRegoPolicies, compileRego, PolicyBuildError, runOpaTests, tarEntry } from '../../src/policy/build.ts';
import { loadPolicyFile, PolicyFileError, type LoadedPolicy } from '../../src/policy/file.ts';
import { compileWith, regoInput } from '../../src/policy/engines.ts';
import { loadRegoPolicy, parseRegoDecision } from '../../src/policy/rego.ts';
import type { ModuleDecision, PolicyFile, PolicyModule, PolicyRequest } from '../../src/policy/types.ts';
import { catalogue } from '../support/modules.ts';
import { needsOpa, opa } from '../support/opa.ts';
import { temporaryDir } from '../support/temp.ts';

const root = new URL('../..', import.meta.url).pathname;
const policies = join(root, 'policies');
const suitabilityFile = join(policies, 'suitability/suitability.v1.yaml');
const garbageWasm = join(root, 'test/fixtures/rego/garbage.wasm');
const modules = new Map([['suitability', suitabilityPolicy()]]) as ReadonlyMap<string, PolicyModule>;


const NOW = new Date('2026-11-29T02:00:00.000Z');
const validProfile = (tolerance: string, more: object = {}) => ({
  tolerance,
  lowestCategory: false,
  assessedAt: '2026-06-01T00:00:00.000Z',
  expiresAt: '2027-06-01T00:00:00.000Z',
  ...more,
});
const purchase = ({ category = 'FUND', riskLevel = 'R3', investorType = 'ORDINARY', profile = validProfile('C3') as object | null, confirm = false } = {}): PolicyRequest => ({
  principal: { id: 'c-1', roles: ['customer'], customerId: '1', scopes: [] },
  purpose: null,
  action: 'product.purchase',
  resource: { type: 'Account', id: '10', attributes: { customerId: '1', kind: 'CUSTOMER' } },
  args: { input: { productId: '5', accountId: '10', amount: '1000.00', idempotencyKey: 'k-1', confirmRiskMismatch: confirm } },
  facts: { product: { id: '5', category, riskLevel, status: 'ONLINE' }, customer: { id: '1', investorType, riskProfile: profile } },
  now: NOW,
});
const summary = (decision: ModuleDecision) => ({
  effect: decision.effect,
  reasons: decision.reasons.map((r) => r.code),
  confirm: decision.obligations.confirm?.map((c) => c.code) ?? [],
  alerts: decision.obligations.alerts?.map((a) => a.kind) ?? [],
});

/** A copy of policies/suitability in a temp policies folder, to tamper with. */
async function copyOfSuitability(): Promise<{ dir: string; folder: string; file: string }> {
  const dir = await temporaryDir('fingate-rego');
  const folder = join(dir, 'suitability');
  await cp(join(policies, 'suitability'), folder, { recursive: true });
  return { dir, folder, file: join(folder, 'suitability.v1.yaml') };
}

describe('suitability@1 (Rego, loaded from its committed wasm)', async () => {
  const { compiled } = (await loadPolicyFile(suitabilityFile, modules, catalogue)) as LoadedPolicy;

  it('allows within tolerance and below it', () => {
    expect(summary(compiled.decide(purchase()))).toEqual({ effect: 'allow', reasons: ['WITHIN_TOLERANCE'], confirm: [], alerts: [] });
    expect(compiled.decide(purchase({ category: 'WEALTH_MANAGEMENT', riskLevel: 'R1', profile: validProfile('C5') })).effect).toBe('allow');
  });

  it('asks for the Art. 19 confirmation above tolerance on a CSRC product, citing the article', () => {
    const decision = compiled.decide(purchase({ riskLevel: 'R4' }));
    expect(summary(decision)).toEqual({ effect: 'deny', reasons: ['RISK_LEVEL_ABOVE_TOLERANCE'], confirm: ['CONFIRM_RISK_MISMATCH'], alerts: [] });
    expect(decision.reasons[0]!.regulation).toBe('证券期货投资者适当性管理办法 第19条');
    expect(decision.obligations.confirm![0]!.message).toMatch(/special written risk warning/);
  });

  it('allows a confirmed CSRC purchase above tolerance with a SUITABILITY_OVERRIDE alert', () => {
    const decision = compiled.decide(purchase({ riskLevel: 'R4', confirm: true }));
    expect(summary(decision)).toEqual({ effect: 'allow', reasons: ['RISK_MISMATCH_CONFIRMED'], confirm: [], alerts: ['SUITABILITY_OVERRIDE'] });
    expect(decision.obligations.alerts![0]).toMatchObject({ kind: 'SUITABILITY_OVERRIDE', rule: '适当性办法第19条' });
  });

  it('refuses bank wealth management above tolerance and the lowest category above R1, confirmed or not', () => {
    expect(summary(compiled.decide(purchase({ category: 'WEALTH_MANAGEMENT', riskLevel: 'R4', confirm: true })))).toEqual({
      effect: 'deny',
      reasons: ['RISK_LEVEL_ABOVE_TOLERANCE'],
      confirm: [],
      alerts: [],
    });
    const lowest = validProfile('C1', { lowestCategory: true });
    expect(summary(compiled.decide(purchase({ riskLevel: 'R2', profile: lowest, confirm: true })))).toMatchObject({ effect: 'deny', reasons: ['LOWEST_CATEGORY_ABOVE_R1'], confirm: [] });
    expect(compiled.decide(purchase({ riskLevel: 'R1', profile: lowest })).effect).toBe('allow');
  });

  it('needs a current risk assessment, from professional investors too', () => {
    expect(summary(compiled.decide(purchase({ profile: null }))).reasons).toEqual(['RISK_ASSESSMENT_REQUIRED']);
    expect(summary(compiled.decide(purchase({ profile: validProfile('C5', { expiresAt: NOW.toISOString() }) }))).reasons).toEqual(['RISK_ASSESSMENT_EXPIRED']);
    expect(summary(compiled.decide(purchase({ investorType: 'PROFESSIONAL', profile: null }))).reasons).toEqual(['RISK_ASSESSMENT_REQUIRED']);
    expect(summary(compiled.decide(purchase({ investorType: 'PROFESSIONAL', riskLevel: 'R5', profile: validProfile('C1') })))).toMatchObject({
      effect: 'allow',
      reasons: ['PROFESSIONAL_INVESTOR'],
    });
  });

  it('does not apply to categories without a regime, and abstains on other actions', () => {
    expect(summary(compiled.decide(purchase({ category: 'PAYMENT', profile: null })))).toMatchObject({ effect: 'allow', reasons: ['SUITABILITY_NOT_APPLICABLE'] });
    expect(compiled.decide({ ...purchase(), action: 'product.redeem' })).toEqual({ effect: 'abstain', reasons: [], obligations: {} });
  });

  it('decides every example case of suitability.v1.test.yaml as it expects', async () => {
    const examples = parse(await readFile(join(policies, 'suitability/suitability.v1.test.yaml'), 'utf8')) as {
      policy: string;
      now: string;
      cases: ({ name: string; expect: { effect: string; reasons?: string[]; obligations?: { confirm?: string[]; alerts?: string[] } } } & Record<string, unknown>)[];
    };
    expect(examples.policy).toBe('suitability@1');
    expect(examples.cases.length).toBeGreaterThanOrEqual(10);
    for (const { name, expect: expected, principal, ...request } of examples.cases) {
      const decision = compiled.decide({
        purpose: null,
        ...request,
        principal: { scopes: [], ...(principal as object) },
        now: new Date(examples.now),
      } as unknown as PolicyRequest);
      const got = summary(decision);
      expect({ name, effect: got.effect }).toEqual({ name, effect: expected.effect });
      if (expected.reasons) expect({ name, reasons: got.reasons }).toEqual({ name, reasons: expected.reasons });
      if (expected.obligations) {
        expect({ name, confirm: got.confirm, alerts: got.alerts }).toEqual({ name, confirm: expected.obligations.confirm ?? [], alerts: expected.obligations.alerts ?? [] });
      }
    }
  });
});

describe('loading a Rego policy file', () => {
  it('refuses a Rego source edited since its wasm was built', async () => {
    const { folder, file } = await copyOfSuitability();
    const source = join(folder, 'suitability.v1.rego');
    await writeFile(source, (await readFile(source, 'utf8')).replace('"PROFESSIONAL"', '"ORDINARY"'));
    const error = await loadPolicyFile(file, modules, catalogue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFileError);
    expect((error as PolicyFileError).detail).toMatch(/suitability\.v1\.rego changed since it was compiled/);
    expect((error as PolicyFileError).line).toBe(lineOf(await readFile(file, 'utf8'), 'sourceSha256:'));
  });

  it('refuses a wasm that is not the one built', async () => {
    const { folder, file } = await copyOfSuitability();
    const wasm = join(folder, 'suitability.v1.wasm');
    const bytes = await readFile(wasm);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(wasm, bytes);
    const error = await loadPolicyFile(file, modules, catalogue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFileError);
    expect((error as PolicyFileError).detail).toMatch(/suitability\.v1\.wasm does not match its recorded hash/);
    expect((error as PolicyFileError).line).toBe(lineOf(await readFile(file, 'utf8'), 'wasmSha256:'));
  });

  it('refuses a file whose Rego source or wasm is missing, at the line naming it', async () => {
    for (const [missing, key] of [
      ['suitability.v1.rego', 'source:'],
      ['suitability.v1.wasm', 'wasm:'],
    ] as const) {
      const { folder, file } = await copyOfSuitability();
      await rm(join(folder, missing));
      const error = await loadPolicyFile(file, modules, catalogue).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyFileError);
      expect([(error as PolicyFileError).line, (error as PolicyFileError).detail]).toEqual([lineOf(await readFile(file, 'utf8'), key), expect.stringContaining(missing)]);
    }
  });

  it('refuses data the Rego could not use, at the line of the value', async () => {
    const { file } = await copyOfSuitability();
    const text = (await readFile(file, 'utf8')).replace('C4: R4', 'C4: R9');
    await writeFile(file, text);
    const error = await loadPolicyFile(file, modules, catalogue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFileError);
    expect((error as PolicyFileError).detail).toMatch(/data\.maxGrade\.C4: R9 is not one of grades/);
    expect((error as PolicyFileError).line).toBe(lineOf(text, 'C4: R9'));
  });
});

describe('a Rego entrypoint that misbehaves', async () => {
  const wasm = new Uint8Array(await readFile(garbageWasm));
  const file = (await loadPolicyFile(suitabilityFile, modules, catalogue)).file as PolicyFile<SuitabilityBody>;
  const { decide } = compileWith(suitabilityPolicy() as PolicyModule, file, { wasm, catalogue });
  const request = (kind: string) => ({ ...purchase(), facts: { kind } });

  it('decides when it returns the right shape (the fixture itself works)', () => {
    expect(decide(request('valid'))).toEqual({ effect: 'allow', reasons: [], obligations: {} });
  });

  it.each([
    ['returns garbage', 'garbage', /malformed: allow: Invalid input: expected boolean/],
    ['omits allow', 'no-allow', /malformed: allow:/],
    ['misspells an obligation', 'misspelt', /malformed: obligations: Unrecognized key: "alert"/],
    ['is undefined', 'none', /is undefined for this input/],
    ['aborts on a conflict', 'conflict', /failed: .*conflict/],
  ])('throws when it %s, so the engine denies', (_, kind, message) => {
    expect(() => decide(request(kind))).toThrow(message);
  });

  it('keeps deciding after a throw (each evaluation starts from a clean heap)', () => {
    for (const kind of ['conflict', 'garbage', 'none']) expect(() => decide(request(kind))).toThrow();
    expect(decide(request('valid')).effect).toBe('allow');
  });

  it.skipIf(!opa)(`refuses a policy wasm with other than one entrypoint${needsOpa}`, async () => {
    const dir = await temporaryDir('fingate-rego');
    await writeFile(join(dir, 'two.rego'), 'package two\n\na := 1\n\nb := 2\n');
    execFileSync(opa!, ['build', '-t', 'wasm', '-e', 'two/a', '-e', 'two/b', '-o', 'bundle.tar.gz', 'two.rego'], { cwd: dir, stdio: 'ignore' });
    const two = tarEntry(gunzipSync(await readFile(join(dir, 'bundle.tar.gz'))), 'policy.wasm')!;
    expect(() => loadRegoPolicy(two, {})).toThrow(/exactly one entrypoint, this one has 2 \(two\/a, two\/b\)/);
  });

  it('refuses bytes that are not a policy wasm', () => {
    expect(() => loadRegoPolicy(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), {})).toThrow(/cannot load the Rego wasm: not an OPA policy wasm/);
    expect(() => loadRegoPolicy(new Uint8Array([1, 2, 3]), {})).toThrow(/cannot load the Rego wasm/);
    expect(() => compileWith(suitabilityPolicy() as PolicyModule, file, { catalogue })).toThrow(/needs its compiled wasm/);
  });

  it('refuses to compile without data.actions, without a wasm or with a broken one, pointing at what is wrong', () => {
    const refusal = (f: PolicyFile, wasm?: Uint8Array) => {
      try {
        compileWith(suitabilityPolicy() as PolicyModule, f, { wasm, catalogue });
      } catch (error) {
        return { path: (error as { path?: unknown }).path, message: (error as Error).message };
      }
      return undefined;
    };
    const noActions = { ...file, body: { ...file.body, data: { ...file.body.data, actions: undefined } } } as unknown as PolicyFile;
    expect(refusal(noActions, wasm)).toEqual({ path: ['data'], message: expect.stringContaining('data.actions') });
    expect(refusal(file as PolicyFile)).toEqual({ path: ['rego', 'wasm'], message: expect.stringContaining('wasm') });
    expect(refusal(file as PolicyFile, new Uint8Array([1, 2, 3]))).toEqual({ path: ['rego', 'wasm'], message: expect.stringMatching(/^cannot load the Rego wasm/) });
    expect(() => compileWith({ ...(suitabilityPolicy() as PolicyModule), engine: 'prolog' }, file as PolicyFile, { wasm, catalogue })).toThrow(/unknown engine "prolog"/);
  });

  it('gives Rego a request without a record as a null resource, and no args or facts as empty objects', () => {
    const { resource, args, facts, ...rest } = purchase();
    expect(regoInput(rest)).toMatchObject({ resource: null, args: {}, facts: {}, now: rest.now.toISOString() });
    expect(regoInput({ ...rest, resource, args, facts })).toMatchObject({ resource, args, facts });
  });

  it('parses only the documented decision shape', () => {
    expect(parseRegoDecision({ allow: false, reasons: [{ code: 'X', message: 'm', regulation: null }], obligations: { mask: { phone: { keepStart: 3, keepEnd: 4 } } } })).toEqual({
      effect: 'deny',
      reasons: [{ code: 'X', message: 'm', regulation: null }],
      obligations: { mask: { phone: { keepStart: 3, keepEnd: 4 } } },
    });
    expect(() => parseRegoDecision({ allow: true, reasons: [{ code: 'X', message: 'm' }], obligations: {} })).toThrow(/reasons\.0\.regulation/);
    expect(() => parseRegoDecision(null)).toThrow(/malformed/);
  });
});

describe('building Rego policies', () => {
  it('says how to get OPA when the CLI is missing or cannot run, as an operator error the CLI prints in one line', async () => {
    const howToGetOpa = expect.objectContaining({ constructor: StartupError, message: expect.stringMatching(/go install github\.com\/open-policy-agent\/opa@v\d/) });
    await expect(buildRegoPolicies({ dir: policies, opa: join(tmpdir(), 'no-such-opa'), check: true })).rejects.toThrow(howToGetOpa);
    const notRunnable = join(await temporaryDir('fingate-rego'), 'opa');
    await writeFile(notRunnable, 'not a program');
    await expect(buildRegoPolicies({ dir: policies, opa: notRunnable, check: true })).rejects.toThrow(howToGetOpa);
  });

  it.skipIf(!opa)(`reports the committed wasm as fresh in check mode${needsOpa}`, async () => {
    const results = await buildRegoPolicies({ dir: policies, opa: opa!, check: true });
    expect(results.find((r) => r.id === 'suitability@1')).toMatchObject({ status: 'fresh', differences: [] });
    expect(results.filter((r) => r.status !== 'fresh')).toEqual([]);
  });

  it.skipIf(!opa)(`reports an edited source as stale, and a build makes it load again, editing only the hashes${needsOpa}`, async () => {
    const { dir, folder, file } = await copyOfSuitability();
    const source = join(folder, 'suitability.v1.rego');
    await writeFile(source, `${await readFile(source, 'utf8')}\n# reviewed\n`);
    const before = await readFile(file, 'utf8');

    const [stale] = await buildRegoPolicies({ dir, opa: opa!, check: true });
    expect(stale).toMatchObject({ status: 'stale', differences: [expect.stringMatching(/^rego\.sourceSha256 is/)] });
    expect(await readFile(file, 'utf8')).toBe(before);

    const [updated] = await buildRegoPolicies({ dir, opa: opa!, check: false });
    expect(updated!.status).toBe('updated');
    const after = await readFile(file, 'utf8');
    expect(after.split('\n').filter((line, i) => line !== before.split('\n')[i])).toEqual([`  sourceSha256: ${updated!.sourceSha256}`]);
    await expect(loadPolicyFile(file, modules, catalogue)).resolves.toMatchObject({ file: { id: 'suitability@1' } });
    expect((await buildRegoPolicies({ dir, opa: opa!, check: true }))[0]!.status).toBe('fresh');
  });

  it.skipIf(!opa)(`reports a missing or rebuilt-differently wasm as stale, and a build writes it back${needsOpa}`, async () => {
    const { dir, folder } = await copyOfSuitability();
    const wasm = join(folder, 'suitability.v1.wasm');
    const committed = await readFile(wasm);
    await rm(wasm);
    const [missing] = await buildRegoPolicies({ dir, opa: opa!, check: true });
    expect(missing).toMatchObject({ status: 'stale', differences: ['suitability.v1.wasm is missing'] });
    expect((await buildRegoPolicies({ dir, opa: opa!, check: false }))[0]!.status).toBe('updated');
    expect(Buffer.from(await readFile(wasm)).equals(committed)).toBe(true);
    await writeFile(wasm, Buffer.concat([committed, Buffer.from([0])]));
    const [different] = await buildRegoPolicies({ dir, opa: opa!, check: true });
    expect(different).toMatchObject({ status: 'stale', differences: ['suitability.v1.wasm differs from a fresh build of suitability.v1.rego'] });
  });

  it.skipIf(!opa)(`fails a version without Rego unit tests, naming the file to write${needsOpa}`, async () => {
    const { dir, folder } = await copyOfSuitability();
    await rm(join(folder, 'suitability.v1_test.rego'));
    const result = await runOpaTests({ dir, opa: opa! });
    expect(result.ok).toBe(false);
    expect(result.runs.map((r) => [r.id, r.ok])).toEqual([
      ['suitability@1', false],
      ['suitability@2', true],
    ]);
    expect(result.runs[0]!.output).toBe('suitability@1: no Rego unit tests: write suitability.v1_test.rego beside suitability.v1.rego\n');
  });

  it('refuses, before running OPA, a Rego file it cannot read: malformed, without its rego section, a hash or its source', async () => {
    const noOpa = join(tmpdir(), 'no-such-opa');
    const refused = async (edit: (text: string) => string, remove?: string) => {
      const { dir, folder, file } = await copyOfSuitability();
      await writeFile(file, edit(await readFile(file, 'utf8')));
      if (remove) await rm(join(folder, remove));
      const error = await buildRegoPolicies({ dir, opa: noOpa, check: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyBuildError);
      expect((error as PolicyBuildError).file).toBe(file);
      return (error as PolicyBuildError).detail;
    };
    expect(await refused((t) => t.replace('engine: rego', 'engine: [rego'))).toMatch(/^line \d+: /);
    expect(await refused((t) => t.replace(/^rego:/m, 'regos:'))).toMatch(/rego: section/);
    expect(await refused((t) => t.replace(/^( *)wasmSha256: .*$/m, ''))).toMatch(/rego\.wasmSha256 is missing/);
    expect(await refused((t) => t.replace(/^( *)sourceSha256: .*$/m, ''))).toMatch(/rego\.sourceSha256 is missing/);
    expect(await refused((t) => t.replace(/^( *)source: .*$/m, '$1source: 7'))).toMatch(/^rego\.source: /);
    expect(await refused((t) => t, 'suitability.v1.rego')).toMatch(/suitability\.v1\.rego is missing/);
  });

  it.skipIf(!opa)(`reports a source that does not compile, naming it and with what OPA said${needsOpa}`, async () => {
    const { dir, folder } = await copyOfSuitability();
    await writeFile(join(folder, 'suitability.v1.rego'), 'package fingate.suitability\n\ndecision := \n');
    await expect(buildRegoPolicies({ dir, opa: opa!, check: true })).rejects.toThrow(/suitability\.v1\.rego: opa build failed:\n[\s\S]*rego_parse_error/);
  });

  it.skipIf(!opa)(`writes both hashes of a file that has placeholders for them, and it loads${needsOpa}`, async () => {
    const { dir, file } = await copyOfSuitability();
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^( *)(sourceSha256|wasmSha256): .*$/gm, '$1$2: pending'));
    const [updated] = await buildRegoPolicies({ dir, opa: opa!, check: false });
    expect(updated).toMatchObject({ status: 'updated', differences: [expect.stringMatching(/^rego\.sourceSha256 is "pending"/), expect.stringMatching(/^rego\.wasmSha256 is "pending"/)] });
    await expect(loadPolicyFile(file, modules, catalogue)).resolves.toMatchObject({ file: { id: 'suitability@1' } });
  });

  it.skipIf(!opa)(`leaves nothing behind in the temp directory${needsOpa}`, async () => {
    const { dir } = await copyOfSuitability();
    const own = await temporaryDir('fingate-rego-tmp');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      await buildRegoPolicies({ dir, opa: opa!, check: true });
      await runOpaTests({ dir, opa: opa! });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(await readdir(own)).toEqual([]);
  });

  it.skipIf(!opa)(`passes the Rego unit tests beside the sources${needsOpa}`, async () => {
    const result = await runOpaTests({ dir: policies, opa: opa! });
    expect(result.output).toMatch(/PASS: \d+\/\d+/);
    expect(result.ok).toBe(true);
  });

  it.skipIf(!opa)(`has committed the garbage fixture as built from its source${needsOpa}`, async () => {
    const fresh = await compileRego(opa!, join(root, 'test/fixtures/rego/garbage.rego'), 'garbage');
    expect(Buffer.from(fresh).equals(await readFile(garbageWasm))).toBe(true);
  });
});

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}
