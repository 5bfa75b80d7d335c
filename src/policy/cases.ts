import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { isResourceType, type ResourceType } from '../resources.ts';
import { ALL, matches } from './condition.ts';
import type { PolicyStore } from './store.ts';
import type { ModuleDecision, PolicyRequest } from './types.ts';

/*
 * Example cases beside each policy version (`<module>.v<N>.test.yaml`), run through the real
 * compiled policy: who asks, what for, about which record, at a fixed instant, and what the
 * policy must answer. Compliance teams write them with the policy; CI runs them in `npm test`.
 */

const attributes = z.record(z.string(), z.unknown());

const caseSchema = z.strictObject({
  name: z.string().min(1),
  principal: z.strictObject({
    id: z.string().min(1),
    roles: z.array(z.string()),
    customerId: z.string().optional(),
    institutionId: z.string().optional(),
    scopes: z.array(z.string()).default([]),
  }),
  purpose: z.string().nullable().default(null),
  action: z.string(),
  resource: z.strictObject({ type: z.string().refine(isResourceType, 'unknown resource type'), id: z.string().optional(), attributes }).optional(),
  args: attributes.optional(),
  facts: attributes.optional(),
  now: z.iso.datetime({ offset: true }).optional(),
  expect: z.strictObject({
    effect: z.enum(['allow', 'deny', 'abstain']),
    /** Reason codes. */
    reasons: z.array(z.string()).optional(),
    obligations: z
      .strictObject({
        /** Rows the decision's row condition must include, and rows it must leave out. */
        rows: z.strictObject({ include: z.array(attributes).default([]), exclude: z.array(attributes).default([]) }).optional(),
        hide: z.array(z.string()).optional(),
        mask: z.array(z.string()).optional(),
        /** Alert kinds the decision obliges the caller to raise. */
        alerts: z.array(z.string()).optional(),
        /** Confirmation codes the caller must give. */
        confirm: z.array(z.string()).optional(),
      })
      .default({}),
  }),
});

const fileSchema = z.strictObject({
  policy: z.string().regex(/^[a-z][a-z0-9-]*@[1-9]\d*$/, 'must be module@version'),
  now: z.iso.datetime({ offset: true }),
  cases: z.array(caseSchema).min(1),
});

/** The outcome of one case. */
export interface CaseResult {
  file: string;
  policy: string;
  name: string;
  /** Empty when the case passed. */
  problems: string[];
}

/** Every `*.test.yaml` under the policies folder. */
export async function caseFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const file of await readdir(join(dir, entry.name))) if (file.endsWith('.test.yaml')) files.push(join(dir, entry.name, file));
  }
  return files.sort();
}

/** Runs the cases of one file against the named policy version from the store. */
export async function runCaseFile(path: string, store: PolicyStore): Promise<CaseResult[]> {
  const parsed = fileSchema.safeParse(parse(await readFile(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return [{ file: path, policy: '?', name: '(file)', problems: [`${issue.path.join('.')}: ${issue.message}`] }];
  }
  const { policy, now, cases } = parsed.data;
  const loaded = store.get(policy);
  if (!loaded) return [{ file: path, policy, name: '(file)', problems: [`${policy} is not a loaded, valid policy version`] }];
  return cases.map((c) => {
    const request: PolicyRequest = {
      principal: { ...c.principal, scopes: c.principal.scopes },
      purpose: c.purpose,
      action: c.action,
      resource: c.resource ? { type: c.resource.type as ResourceType, id: c.resource.id, attributes: c.resource.attributes } : undefined,
      args: c.args,
      facts: c.facts,
      now: new Date(c.now ?? now),
    };
    let decision: ModuleDecision;
    try {
      decision = loaded.compiled.decide(request);
    } catch (error) {
      return { file: path, policy, name: c.name, problems: [`threw: ${(error as Error).message}`] };
    }
    return { file: path, policy, name: c.name, problems: compare(decision, c.expect) };
  });
}

function compare(decision: ModuleDecision, expect: z.infer<typeof caseSchema>['expect']): string[] {
  const problems: string[] = [];
  const same = (what: string, actual: readonly string[], expected: readonly string[] | undefined) => {
    if (expected && JSON.stringify([...actual].sort()) !== JSON.stringify([...expected].sort())) {
      problems.push(`${what}: expected [${expected.join(', ')}], got [${actual.join(', ')}]`);
    }
  };
  if (decision.effect !== expect.effect) problems.push(`effect: expected ${expect.effect}, got ${decision.effect}`);
  const expected = expect.obligations;
  same('reasons', decision.reasons.map((r) => r.code), expect.reasons);
  same('hide', decision.obligations.hide ?? [], expected.hide);
  same('mask', Object.keys(decision.obligations.mask ?? {}), expected.mask);
  same('alerts', (decision.obligations.alerts ?? []).map((a) => a.kind), expected.alerts);
  same('confirm', (decision.obligations.confirm ?? []).map((r) => r.code), expected.confirm);
  if (expected.rows) {
    const rows = decision.obligations.rows ?? ALL;
    for (const row of expected.rows.include) if (!matches(rows, row)) problems.push(`rows: should include ${JSON.stringify(row)}`);
    for (const row of expected.rows.exclude) if (matches(rows, row)) problems.push(`rows: should exclude ${JSON.stringify(row)}`);
  }
  return problems;
}
