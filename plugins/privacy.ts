// The privacy module (PIPL minimization, JR/T 0171): which personal fields each reader sees, for
// which declared purpose, masked how. It never decides access (that is `access`): it abstains and
// attaches obligations, which the gate applies to the fields. The personal fields and their
// categories are declared on the schema (`personal: 'identityNumber'`); this module's file says
// what each category gets, per role and purpose.

import { z } from 'zod';
import { maskSchema } from '../src/policy/masks.ts';
import type { Catalogue, CompiledPolicy, ModuleDecision, PolicyFile, PolicyModule, PolicyRequest } from '../src/policy/types.ts';
import { CODE_PATTERN } from '../src/policy/vocabulary.ts';

const name = z.string().regex(/^[a-z][a-zA-Z0-9-]*$/);

const reason = z.strictObject({ code: z.string().regex(CODE_PATTERN), message: z.string().min(1), regulation: z.string().min(1).nullable().default(null) });

const rule = z.strictObject({
  roles: z.array(z.string().min(1)).min(1),
  /** The rule applies only under these declared purposes. */
  purposes: z.array(name).min(1).optional(),
  /** The rule applies unless the request declares one of these purposes. */
  unlessPurposes: z.array(name).min(1).optional(),
  /** Categories whose fields resolve to null. */
  hide: z.array(name).min(1).optional(),
  /** Categories whose fields come back masked: category → a mask named in `masks`. */
  mask: z.record(name, name).optional(),
  reason: reason.optional(),
});

const body = z.strictObject({
  /** The purposes each role may declare (`x-access-purpose`). */
  purposes: z.record(z.string().min(1), z.array(name)),
  /**
   * A purpose the caller's roles may not declare: `refuse` it (the request is BAD_USER_INPUT naming
   * the header), or `ignore` it (the request is read as if it declared none).
   */
  undeclarablePurpose: z.enum(['refuse', 'ignore']).default('ignore'),
  /** Named masks: keep the first and last characters, star the rest (JR/T 0171 附录A). */
  masks: z.record(name, maskSchema),
  rules: z.array(rule).min(1),
  /**
   * Fields that would undo a mask shown beside them: when a field of category `whenMasked` is
   * masked, these categories are hidden too (a birth date restores digits 7–14 of an identity number).
   */
  linked: z.array(z.strictObject({ whenMasked: name, hide: z.array(name).min(1), reason: reason.optional() })).default([]),
});

type PrivacyBody = z.infer<typeof body>;

/** Personal-information minimization: hides and masks personal fields by role and declared purpose. */
export function privacyPolicy(): PolicyModule<PrivacyBody> {
  return {
    name: 'privacy',
    engine: 'data',
    description: 'Personal-information minimization (PIPL Art. 6, JR/T 0171): personal fields hidden or masked by role and declared purpose',
    body,
    compile: compilePrivacy,
  };
}

function compilePrivacy(file: PolicyFile<PrivacyBody>, { catalogue }: { catalogue: Catalogue }): CompiledPolicy {
  check(file.body, catalogue);
  // a decision depends only on (roles, purpose, action): made once, then shared by every request
  const decisions = new Map<string, ModuleDecision>();
  return {
    decide(request) {
      if (request.action === DECLARE_PURPOSE) return declare(file.body, request);
      // writes are decided by other modules; privacy minimizes what reads show
      if (request.resource) return ABSTAIN;
      const key = `${request.principal.roles.join(',')}|${request.purpose ?? ''}|${request.action}`;
      let decision = decisions.get(key);
      if (!decision) decisions.set(key, (decision = decide(file.body, catalogue, request)));
      return decision;
    },
  };
}

const ABSTAIN: ModuleDecision = { effect: 'abstain', reasons: [], obligations: {} };

/** The action the gate decides once per request that declares a purpose of access. */
const DECLARE_PURPOSE = 'purpose.declare';

/** May the caller declare this purpose? Only the purposes the file lists for one of their roles. */
function declare(body: PrivacyBody, request: PolicyRequest): ModuleDecision {
  const allowed = [...new Set(request.principal.roles.flatMap((role) => body.purposes[role] ?? []))];
  if (body.undeclarablePurpose === 'ignore' || (request.purpose !== null && allowed.includes(request.purpose))) {
    return { effect: 'allow', reasons: [], obligations: {} };
  }
  return {
    effect: 'deny',
    reasons: [
      {
        code: 'PURPOSE_NOT_DECLARABLE',
        message: `roles [${request.principal.roles.join(', ')}] may not declare the purpose "${request.purpose}"; they may declare: ${allowed.join(', ') || 'none'}`,
        regulation: '《个人信息保护法》第6条',
      },
    ],
    obligations: {},
  };
}

function decide(body: PrivacyBody, catalogue: Catalogue, request: PolicyRequest): ModuleDecision {
  const type = Object.hasOwn(catalogue.actions, request.action) ? catalogue.actions[request.action] : undefined;
  const fields = type ? catalogue.personal[type] : undefined;
  if (!fields) return ABSTAIN;
  const { roles } = request.principal;
  const mayDeclare = request.purpose !== null && roles.some((role) => body.purposes[role]?.includes(request.purpose!));
  const purpose = mayDeclare ? request.purpose : null;
  const hide = new Set<string>();
  const mask: Record<string, { keepStart: number; keepEnd: number }> = {};
  const reasons = [];
  for (const r of body.rules) {
    if (!r.roles.some((role) => roles.includes(role))) continue;
    if (r.purposes && (purpose === null || !r.purposes.includes(purpose))) continue;
    if (r.unlessPurposes && purpose !== null && r.unlessPurposes.includes(purpose)) continue;
    let applied = false;
    for (const [field, category] of Object.entries(fields)) {
      if (r.hide?.includes(category)) {
        hide.add(field);
        applied = true;
      } else if (r.mask?.[category]) {
        mask[field] = body.masks[r.mask[category]]!;
        applied = true;
      }
    }
    if (applied && r.reason) reasons.push(r.reason);
  }
  // a mask is no mask when a field beside it gives the masked part away
  const masked = new Set(Object.keys(mask).filter((field) => !hide.has(field)).map((field) => fields[field]));
  for (const link of body.linked) {
    if (!masked.has(link.whenMasked)) continue;
    const linked = Object.entries(fields).filter(([, category]) => link.hide.includes(category));
    for (const [field] of linked) hide.add(field);
    if (linked.length && link.reason) reasons.push(link.reason);
  }
  // a hidden field is not also masked
  for (const field of hide) delete mask[field];
  if (hide.size === 0 && Object.keys(mask).length === 0) return ABSTAIN;
  return { effect: 'abstain', reasons, obligations: { ...(hide.size ? { hide: [...hide] } : {}), ...(Object.keys(mask).length ? { mask } : {}) } };
}

/** What the schema cannot check: categories the schema declares, masks and purposes the file names. */
function check(body: PrivacyBody, catalogue: Catalogue): void {
  const categories = new Set(Object.values(catalogue.personal).flatMap((fields) => Object.values(fields ?? {})));
  const purposes = new Set(Object.values(body.purposes).flat());
  body.linked.forEach((link, i) => {
    for (const category of [link.whenMasked, ...link.hide]) {
      if (!categories.has(category)) fail(['linked', i], `no field of the schema is of the personal category "${category}"`);
    }
  });
  body.rules.forEach((r, i) => {
    for (const category of [...(r.hide ?? []), ...Object.keys(r.mask ?? {})]) {
      if (!categories.has(category)) fail(['rules', i], `no field of the schema is of the personal category "${category}" (known: ${[...categories].join(', ')})`);
    }
    for (const [category, maskName] of Object.entries(r.mask ?? {})) {
      if (!Object.hasOwn(body.masks, maskName)) fail(['rules', i, 'mask', category], `unknown mask "${maskName}"`);
    }
    for (const purpose of [...(r.purposes ?? []), ...(r.unlessPurposes ?? [])]) {
      if (!purposes.has(purpose)) fail(['rules', i], `purpose "${purpose}" is declarable by no role in purposes`);
    }
  });
}

function fail(path: PropertyKey[], message: string): never {
  throw Object.assign(new Error(message), { path });
}
