import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';
import { caseFiles, runCaseFile } from '../../src/policy/cases.ts';
import { loadPolicyFile, PolicyFileError } from '../../src/policy/file.ts';
import { jsonSchemaFile, policyFileJsonSchema } from '../../src/policy/json-schema.ts';
import { loadPolicyStore, policyFiles } from '../../src/policy/store.ts';
import { catalogue, modules as configured, modulesByName as modules } from '../support/modules.ts';
import { temporaryDir } from '../support/temp.ts';

const dir = loadConfig({}).policiesDir;
const store = await loadPolicyStore(dir, configured, catalogue);

describe('the policy files', () => {
  it('all load: valid header, body, hashes and names', () => {
    expect(store.errors().map((e) => e.message)).toEqual([]);
    expect(store.all().length).toBeGreaterThanOrEqual(modules.size);
  });

  it('have an up-to-date JSON Schema for editors (run `fingate policy schema` after changing a module)', async () => {
    expect(await readFile(jsonSchemaFile, 'utf8')).toBe(policyFileJsonSchema(configured));
  });

  it('leave out of that schema a module that takes no policy files (an observer without a body)', () => {
    const watcher = { name: 'watcher', engine: 'observer', description: 'counts requests', observe: { request() {} } } as never;
    expect(policyFileJsonSchema([...configured, watcher])).toBe(policyFileJsonSchema(configured));
  });

  it('cannot be made for a module whose policy files are not a mapping, naming it', () => {
    const odd = { name: 'odd', engine: 'data', description: 'a list, not a mapping', body: z.array(z.string()) } as never;
    expect(() => policyFileJsonSchema([...configured, odd])).toThrow(/^module odd: /);
  });
});

describe('the example cases beside the policies (fingate policy test)', async () => {
  for (const file of await caseFiles(dir)) {
    for (const result of await runCaseFile(file, store)) {
      it(`${result.policy}: ${result.name}`, () => expect(result.problems).toEqual([]));
    }
  }
});

describe('a case file the policy does not meet (fingate policy test)', () => {
  /** Runs a case file written into a fresh folder; the problems of each case by what differs. */
  async function run(text: string) {
    const file = join(await temporaryDir('fingate-cases'), 'access.v1.test.yaml');
    await writeFile(file, text);
    return (await runCaseFile(file, store)).map((r) => [r.name, r.policy, r.problems.map((p) => p.slice(0, p.indexOf(':')))]);
  }
  const customer = '{ id: u-7, roles: [customer], customerId: "7" }';
  const advisor = '{ id: u-a, roles: [advisor], institutionId: "2" }';

  it('reports each difference by what differs: effect, reasons, rows, hidden and masked fields, alerts, confirmations', async () => {
    const results = await run(`policy: access@1
now: "2026-11-29T02:00:00.000Z"
cases:
  - name: effect and reasons
    principal: ${customer}
    action: customer.read
    expect: { effect: deny, reasons: [SOMETHING_ELSE] }
  - name: rows
    principal: ${advisor}
    action: customer.read
    expect: { effect: allow, obligations: { rows: { include: [{ institutionId: "3" }], exclude: [{ institutionId: "2" }] } } }
  - name: fields
    principal: ${advisor}
    action: customer.read
    expect: { effect: allow, obligations: { hide: [name], mask: [] } }
  - name: alerts and confirmations
    principal: ${customer}
    action: account.transfer
    resource: { type: Account, id: "70", attributes: { id: "70", customerId: "7", kind: CUSTOMER } }
    expect: { effect: allow, obligations: { alerts: [LARGE_VALUE], confirm: [RISK_WARNING] } }
  - name: met
    principal: ${customer}
    action: customer.read
    expect: { effect: allow, reasons: [OWN_RECORD], obligations: { rows: { include: [{ customerId: "7" }], exclude: [{ customerId: "8" }] }, hide: [], mask: [] } }
`);
    expect(results).toEqual([
      ['effect and reasons', 'access@1', ['effect', 'reasons']],
      ['rows', 'access@1', ['rows', 'rows']],
      ['fields', 'access@1', ['hide', 'mask']],
      ['alerts and confirmations', 'access@1', ['alerts', 'confirm']],
      ['met', 'access@1', []],
    ]);
  });

  it('reports a file naming a version that is not loaded, or not matching the case format, as one problem', async () => {
    const now = 'now: "2026-11-29T02:00:00.000Z"';
    const one = `cases:\n  - { name: one, principal: ${customer}, action: customer.read, expect: { effect: allow } }`;
    expect(await run(`policy: access@99\n${now}\n${one}`)).toEqual([['(file)', 'access@99', [expect.any(String)]]]);
    expect(await run(`policy: access\n${now}\n${one}`)).toEqual([['(file)', '?', ['policy']]]);
  });
});

/** Writes a broken copy of access.v1.yaml into a fresh policies folder and loads it. */
async function loadBroken(edit: (text: string) => string, name = 'access.v1.yaml'): Promise<PolicyFileError> {
  const root = await temporaryDir('fingate-policy');
  await cp(dir, root, { recursive: true });
  const original = await readFile(join(dir, 'access', 'access.v1.yaml'), 'utf8');
  await writeFile(join(root, 'access', name), edit(original));
  const error = await loadPolicyFile(join(root, 'access', name), modules, catalogue).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyFileError);
  // every refusal says what is wrong, not only where
  expect((error as PolicyFileError).detail.trim()).not.toBe('');
  return error as PolicyFileError;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('a broken policy file is refused with its file and line', async () => {
  const original = await readFile(join(dir, 'access', 'access.v1.yaml'), 'utf8');

  it('malformed YAML', async () => {
    const error = await loadBroken((t) => t.replace('engine: casl', 'engine: [casl'));
    expect(error.line).toBeGreaterThanOrEqual(lineOf(original, 'engine: casl'));
  });

  it('an unknown module, naming the modules there are', async () => {
    const error = await loadBroken((t) => t.replace('module: access', 'module: acess'), 'acess.v1.yaml');
    expect(error.line).toBe(lineOf(original, 'module: access'));
    expect(error.detail).toContain('"acess"');
    for (const known of ['access', 'privacy', 'suitability']) expect(error.detail).toMatch(new RegExp(`[ (]${known}[,)]`));
  });

  it('an unknown engine, or the wrong one for the module, naming the one it runs on', async () => {
    expect((await loadBroken((t) => t.replace('engine: casl', 'engine: cedar'))).line).toBe(lineOf(original, 'engine: casl'));
    const wrong = await loadBroken((t) => t.replace('engine: casl', 'engine: rego'));
    expect([wrong.line, wrong.detail]).toEqual([lineOf(original, 'engine: casl'), expect.stringContaining('"casl"')]);
  });

  it('a version that does not match the file name, naming it', async () => {
    const error = await loadBroken((t) => t.replace('version: 1', 'version: 2'));
    expect([error.line, error.detail]).toEqual([lineOf(original, 'version: 1'), expect.stringContaining('version 2')]);
  });

  it('a file that cannot be read', async () => {
    const error = await loadPolicyFile(join(dir, 'access', 'access.v99.yaml'), modules, catalogue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFileError);
    expect([(error as PolicyFileError).line, (error as PolicyFileError).detail]).toEqual([1, expect.stringContaining('ENOENT')]);
  });

  it('a duplicate key', async () => {
    expect((await loadBroken((t) => t.replace('engine: casl', 'engine: casl\nengine: casl'))).line).toBeGreaterThan(1);
  });

  it('a rule breaking the schema', async () => {
    const error = await loadBroken((t) => t.replace('actions: [customer.read, customer.assessRisk, disclosure.acknowledge]', 'actions: []'));
    expect(error.line).toBe(lineOf(original, 'actions: [customer.read, customer.assessRisk, disclosure.acknowledge]'));
  });

  /**
   * Refused at the line of `needle` in the edited file, and naming `what` (the value at fault) so
   * compliance can find it.
   */
  const refusedAt = async (edit: (text: string) => string, needle: string, what?: string) => {
    const error = await loadBroken(edit);
    expect(error.line).toBe(lineOf(edit(original), needle));
    if (what) expect(error.detail).toContain(what);
  };
  const swap = (from: string, to: string) => (t: string) => t.replace(from, to);
  const cardRule = '  - effect: deny\n    roles: [advisor, compliance, auditor, service]\n    actions: [account.read]\n    subject: Account\n    fields: [cardNumber]';

  it('a rule naming a field, attribute, subject or mask that does not exist', async () => {
    await refusedAt(swap('mask: { idNumber: idNumber, phone: mobile }', 'mask: { salary: idNumber, phone: mobile }'), 'mask: { salary', 'salary');
    await refusedAt(swap('mask: { idNumber: idNumber, phone: mobile }', 'mask: { idNumber: nosuchmask, phone: mobile }'), 'nosuchmask', 'nosuchmask');
    await refusedAt(swap('conditions: { institutionId: "${principal.institutionId}" }', 'conditions: { branchId: "${principal.institutionId}" }'), 'branchId', 'branchId');
    await refusedAt(swap('subject: RiskAlert', 'subject: Alert'), 'subject: Alert', '"Alert"');
  });

  it('a variable inside an operator, which would be compared literally', async () => {
    await refusedAt(swap('conditions: { customerId: "${principal.customerId}" }', 'conditions: { customerId: { $ne: "${principal.customerId}" } }'), '$ne');
  });

  it("an action about another resource than the rule's subject, which would never apply", async () => {
    await refusedAt(swap('actions: [transaction.read]', 'actions: [account.read]'), 'actions: [account.read]', 'account.read');
  });

  it('an action no field of the schema declares', async () => {
    await refusedAt(swap('actions: [product.read]', 'actions: [product.sell]'), 'actions: [product.sell]', 'product.sell');
  });

  it('a purpose the file does not declare', async () => {
    await refusedAt(swap('purposes: [marketing]', 'purposes: [marketting]'), 'marketting', 'marketting');
    await refusedAt(swap('risk-control, audit, regulatory-reporting]', 'risk-control, audits, regulatory-reporting]'), 'audits', 'audits');
  });

  it('a condition naming a principal attribute that does not exist', async () => {
    await refusedAt(swap('conditions: { customerId: "${principal.customerId}" }', 'conditions: { customerId: "${principal.customer}" }'), '${principal.customer}', '${principal.customer}');
  });

  it('fields hidden by a rule that is not a deny rule', async () => {
    await refusedAt(swap(cardRule, cardRule.replace('effect: deny', 'effect: allow')), 'fields: [cardNumber]');
  });

  it('fields hidden under conditions (hiding applies to the whole type)', async () => {
    await refusedAt(swap(cardRule, `${cardRule}\n    conditions: { kind: CUSTOMER }`), 'conditions: { kind: CUSTOMER }');
  });

  it('a module that does not match the file name, naming the module', async () => {
    await refusedAt(swap('module: access', 'module: privacy'), 'module: privacy', 'privacy');
    // wherever the key stands in the mapping
    await refusedAt((t) => `${t.replace('module: access\n', '')}module: privacy\n`, 'module: privacy', 'privacy');
  });

  it('a header key that is missing, at the mapping it is missing from, past the comments above it', async () => {
    await refusedAt(swap('version: 1\n', ''), 'module: access', 'version');
  });

  it('a file outside its module folder, naming the folder it belongs in', async () => {
    const error = await loadBroken(swap('module: access', 'module: privacy'), 'privacy.v1.yaml');
    expect([error.line, error.detail]).toEqual([1, expect.stringContaining('policies/privacy/')]);
  });

  it('a Rego source named in a file whose engine runs none', async () => {
    await refusedAt((t) => `${t}\nrego: { source: access.v1.rego }\n`, 'rego: {', 'casl');
  });

  it('a file that is not a YAML mapping', async () => {
    const error = await loadBroken(() => '- module: access\n- version: 1\n');
    expect([error.line, error.detail]).toEqual([1, expect.stringContaining('mapping')]);
  });

  it('a mask on a deny rule', async () => {
    await refusedAt(swap(cardRule, `${cardRule}\n    mask: {cardNumber: bankCard}`), 'mask: {cardNumber: bankCard}');
  });
});

describe('the policy store', () => {
  /** A store over a private copy of the policies folder, with `pinned` as the activated hashes. */
  const copy = async (pinned?: (id: string) => string | undefined) => {
    const root = await temporaryDir('fingate-policy-store');
    await cp(dir, root, { recursive: true });
    return { root, store: await loadPolicyStore(root, configured, catalogue, pinned), file: (name: string) => join(root, 'access', name) };
  };
  const readV1 = () => readFile(join(dir, 'access', 'access.v1.yaml'), 'utf8');

  it('serves the new content of a version not activated once reloaded, and the last good one of a file that broke', async () => {
    const { store, file } = await copy();
    const before = store.get('access@1')!.file.sha256;
    await writeFile(file('access.v1.yaml'), `${await readV1()}\n# reviewed again\n`);
    await store.reload();
    const edited = store.get('access@1')!.file.sha256;
    expect(edited).not.toBe(before);
    await writeFile(file('access.v1.yaml'), 'module: access\n');
    await store.reload();
    expect(store.get('access@1')!.file.sha256).toBe(edited);
    expect(store.errors().map((e) => [e.file.endsWith('access.v1.yaml'), e.line])).toEqual([[true, 1]]);
  });

  it('refuses an activated version whose file changed, naming the version to add instead', async () => {
    const { store } = await copy((id) => (id === 'access@1' ? 'f'.repeat(64) : undefined));
    expect(store.get('access@1')).toBeUndefined();
    const [error] = store.errors();
    expect([error!.file.endsWith(join('access', 'access.v1.yaml')), error!.line]).toEqual([true, 1]);
    expect(error!.detail).toContain('access@1');
    expect(error!.detail).toContain('ffffffffffff…');
    expect(error!.detail).toContain('add version 2');
  });

  it('reloads by itself when watched, and no more once it stops watching', async () => {
    const { store, file } = await copy();
    let changes = 0;
    const stop = store.watch(() => changes++);
    try {
      const v4 = await readFile(file('access.v4.yaml'), 'utf8');
      await writeFile(file('access.v8.yaml'), v4.replace('version: 4', 'version: 8'));
      await vi.waitFor(() => expect(store.get('access@8')).toBeDefined(), { timeout: 5_000, interval: 20 });
      expect(changes).toBeGreaterThan(0);
    } finally {
      stop();
    }
    const v4 = await readFile(file('access.v4.yaml'), 'utf8');
    await writeFile(file('access.v9.yaml'), v4.replace('version: 4', 'version: 9'));
    await new Promise((r) => setTimeout(r, 300));
    expect(store.get('access@9')).toBeUndefined();
  });
});

it('lists every policy file under its module folder', async () => {
  const files = await policyFiles(dir);
  for (const file of files) expect(file).toMatch(/policies\/([a-z-]+)\/\1\.v\d+\.yaml$/);
});
