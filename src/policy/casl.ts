import { createMongoAbility, subject as asSubject, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { rulesToAST } from '@casl/ability/extra';
import { z } from 'zod';
import { isResourceType, resources, type ResourceType } from '../resources.ts';
import { and, NONE, not, or, type Condition, type Scalar } from './condition.ts';
import { maskSchema, type Mask } from './masks.ts';
import type { Principal } from './principal.ts';
import { ACTION_PATTERN, CODE_PATTERN } from './vocabulary.ts';
import type { Catalogue, CompiledPolicy, ModuleDecision, Obligations, PolicyFile, PolicyRequest, Reason } from './types.ts';

/*
 * The `casl` engine: rules as data (@casl/ability) for who may read or act on which rows and
 * fields. A rule applies to a principal by role (and, optionally, scope and purpose); its
 * conditions may name the principal's own attributes (`${principal.customerId}`). Lists get the
 * rules as a row condition (SQL), single records are checked with CASL itself.
 */

// no null: a rule about missing values would match rows and records differently
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const conditionValue = z.union([
  scalar,
  z.strictObject({ $in: z.array(scalar).min(1) }),
  z.strictObject({ $nin: z.array(scalar).min(1) }),
  z.strictObject({ $ne: scalar }),
]);

export const reasonSchema = z.strictObject({
  code: z.string().regex(CODE_PATTERN, 'must be UPPER_SNAKE_CASE'),
  message: z.string().min(1),
  regulation: z.string().min(1).nullable().default(null),
});

const ruleSchema = z.strictObject({
  /** `deny` rules override `allow` rules; with `fields` they hide those fields. */
  effect: z.enum(['allow', 'deny']).default('allow'),
  roles: z.array(z.string().min(1)).min(1),
  /** For service tokens: the rule applies only when the token has one of these scopes. */
  scopes: z.array(z.string().min(1)).min(1).optional(),
  /** The rule applies only under these declared purposes (`x-access-purpose`). */
  purposes: z.array(z.string().min(1)).min(1).optional(),
  /** The rule applies unless the request declares one of these purposes (e.g. hide personal data without one). */
  unlessPurposes: z.array(z.string().min(1)).min(1).optional(),
  actions: z.array(z.string().regex(ACTION_PATTERN, 'must be resource.verb')).min(1),
  subject: z.string(),
  conditions: z.record(z.string(), conditionValue).optional(),
  fields: z.array(z.string()).min(1).optional(),
  /** Fields returned masked under this rule: field → a mask named in `masks`. */
  mask: z.record(z.string(), z.string()).optional(),
  reason: reasonSchema.optional(),
});

/** The body of a `casl` policy file: the purposes of access it knows, named masks, and rules. */
export const caslBodySchema = z.strictObject({
  /** Purposes a request may declare (PIPL Art. 6); any other declared purpose counts as none. */
  purposes: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).default([]),
  masks: z.record(z.string(), maskSchema).default({}),
  rules: z.array(ruleSchema).min(1),
});
export type CaslBody = z.infer<typeof caslBodySchema>;
type RuleData = z.infer<typeof ruleSchema>;

const VARIABLE = /^\$\{principal\.(id|customerId|institutionId)\}$/;

/** Checks what the schema cannot (names of subjects, attributes, fields, masks) and compiles. */
export function compileCasl(file: PolicyFile<CaslBody>, catalogue: Catalogue): CompiledPolicy {
  file.body.rules.forEach((rule, index) => check(rule, index, file.body, catalogue));
  const abilities = new WeakMap<Principal, Map<string, Ability>>();
  // Stryker disable ConditionalExpression,StringLiteral: caches; without them the same ability and decision are made again
  const abilityFor = (principal: Principal, purpose: string | null): Ability => {
    let byPurpose = abilities.get(principal);
    if (!byPurpose) abilities.set(principal, (byPurpose = new Map()));
    let ability = byPurpose.get(purpose ?? '');
    if (!ability) byPurpose.set(purpose ?? '', (ability = buildAbility(file, principal, purpose)));
    return ability;
  };
  // Stryker restore ConditionalExpression,StringLiteral
  return {
    decide(request) {
      const ability = abilityFor(request.principal, request.purpose);
      if (request.resource) return decideWith(ability, file, request, catalogue);
      let decision = ability.typeLevel.get(request.action);
      // Stryker disable next-line ConditionalExpression: a cache; without it the same decision is made again
      if (!decision) ability.typeLevel.set(request.action, (decision = decideWith(ability, file, request, catalogue)));
      return decision;
    },
  };
}

interface Ability {
  casl: MongoAbility;
  /** The data rule each CASL rule came from (for reasons and masks). */
  origin: Map<object, RuleData>;
  /**
   * Type-level decisions (no record) by action: they depend on nothing but the ability, so each is
   * made once per principal, purpose and policy version, and its row condition stays one object
   * (whose SQL fragment is then made once too).
   */
  typeLevel: Map<string, ModuleDecision>;
}

function check(rule: RuleData, index: number, { masks, purposes }: CaslBody, catalogue: Catalogue): void {
  const at = (...path: PropertyKey[]) => ['rules', index, ...path];
  if (!isResourceType(rule.subject)) fail(at('subject'), `unknown subject "${rule.subject}" (known: ${Object.keys(resources).join(', ')})`);
  const type = rule.subject as ResourceType;
  for (const action of rule.actions) {
    // a rule whose action is about another resource would never apply: refuse it, do not ignore it
    const covers = Object.hasOwn(catalogue.actions, action) ? catalogue.actions[action] : undefined;
    if (covers !== type) fail(at('actions'), covers ? `action "${action}" covers ${covers} rows, not ${type}` : `no field of the schema declares the action "${action}"`);
  }
  for (const [attribute, value] of Object.entries(rule.conditions ?? {})) {
    if (!Object.hasOwn(resources[type].columns, attribute)) fail(at('conditions', attribute), `${type} has no attribute "${attribute}"`);
    if (typeof value === 'string' && value.includes('${') && !VARIABLE.test(value)) {
      fail(at('conditions', attribute), `unknown variable ${value} (use \${principal.id}, \${principal.customerId} or \${principal.institutionId})`);
    }
    // variables stand alone: inside $in/$ne/$nin they would be compared literally
    if (typeof value === 'object' && JSON.stringify(value).includes('${')) fail(at('conditions', attribute), 'a ${principal…} variable must be the whole value, not inside $in, $nin or $ne');
  }
  for (const purpose of [...(rule.purposes ?? []), ...(rule.unlessPurposes ?? [])]) {
    if (!purposes.includes(purpose)) fail(at(rule.purposes?.includes(purpose) ? 'purposes' : 'unlessPurposes'), `purpose "${purpose}" is not declared in purposes`);
  }
  for (const field of [...(rule.fields ?? []), ...Object.keys(rule.mask ?? {})]) {
    if (!personalFields(catalogue, type).includes(field)) fail(at(rule.fields?.includes(field) ? 'fields' : 'mask'), `${type}.${field} does not exist or cannot be hidden or masked`);
  }
  for (const [field, name] of Object.entries(rule.mask ?? {})) {
    if (!Object.hasOwn(masks, name)) fail(at('mask', field), `unknown mask "${name}"`);
  }
  if (rule.fields && rule.effect !== 'deny') fail(at('fields'), 'fields are listed on deny rules, to hide them');
  if (rule.fields && rule.conditions) fail(at('conditions'), 'a rule hiding fields applies to the whole type; drop its conditions');
  if (rule.mask && rule.effect !== 'allow') fail(at('mask'), 'masks belong to allow rules');
}

function fail(path: PropertyKey[], message: string): never {
  throw Object.assign(new Error(message), { path });
}

/** The CASL ability of one principal under one purpose: only the rules that apply to them. */
// A purpose the file does not declare counts as none without a check here: rules may name only
// declared purposes (check), so it matches no rule's purposes and no rule's unlessPurposes.
function buildAbility(file: PolicyFile<CaslBody>, principal: Principal, purpose: string | null): Ability {
  const origin = new Map<object, RuleData>();
  const raw: RawRuleOf<MongoAbility>[] = [];
  for (const rule of file.body.rules) {
    if (!rule.roles.some((role) => principal.roles.includes(role))) continue;
    if (rule.scopes && !rule.scopes.some((scope) => principal.scopes.includes(scope))) continue;
    if (rule.purposes && (purpose === null || !rule.purposes.includes(purpose))) continue;
    if (rule.unlessPurposes && purpose !== null && rule.unlessPurposes.includes(purpose)) continue;
    const conditions = interpolate(rule.conditions, principal);
    // a rule naming an attribute the principal lacks applies to nothing: never to "null" rows
    if (conditions === undefined) continue;
    const entry = {
      action: rule.actions,
      subject: rule.subject,
      inverted: rule.effect === 'deny',
      ...(conditions ? { conditions } : {}),
      ...(rule.fields ? { fields: rule.fields } : {}),
    };
    raw.push(entry);
    origin.set(entry, rule);
  }
  return { casl: createMongoAbility(raw), origin, typeLevel: new Map() };
}

function interpolate(conditions: RuleData['conditions'], principal: Principal): Record<string, unknown> | null | undefined {
  if (!conditions) return null;
  const out: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(conditions)) {
    const variable = typeof value === 'string' ? VARIABLE.exec(value)?.[1] : undefined;
    if (!variable) {
      out[attribute] = normalize(value);
      continue;
    }
    const actual = principal[variable as 'id' | 'customerId' | 'institutionId'];
    if (actual === undefined) return undefined;
    out[attribute] = actual;
  }
  return out;
}

// Resource attributes arrive as strings (PostgreSQL keys and enums); so do rule values, which YAML
// may have read as numbers.
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return typeof value === 'number' ? String(value) : value;
}

function decideWith(ability: Ability, file: PolicyFile<CaslBody>, request: PolicyRequest, catalogue: Catalogue): ModuleDecision {
  const type = request.resource?.type ?? (Object.hasOwn(catalogue.actions, request.action) ? catalogue.actions[request.action] : undefined);
  if (!type) return abstain;
  const rules = ability.casl.rulesFor(request.action, type);
  if (rules.length === 0) return abstain;
  if (request.resource) {
    const attributes = normalize(request.resource.attributes) as Record<string, unknown>;
    const rule = ability.casl.relevantRuleFor(request.action, asSubject(type, { ...attributes }));
    if (!rule || rule.inverted) return { effect: 'deny', reasons: [reasonOf(ability, rule, request, type)], obligations: {} };
    return { effect: 'allow', reasons: [reasonOf(ability, rule, request, type)], obligations: fieldObligations(ability, file, request.action, type, catalogue) };
  }
  if (!ability.casl.can(request.action, type)) {
    return { effect: 'deny', reasons: [reasonOf(ability, ability.casl.relevantRuleFor(request.action, type), request, type)], obligations: {} };
  }
  return {
    effect: 'allow',
    reasons: [reasonOf(ability, rules.find((r) => !r.inverted) ?? null, request, type)],
    obligations: { rows: toCondition(rulesToAST(ability.casl, request.action, type)), ...fieldObligations(ability, file, request.action, type, catalogue) },
  };
}

const abstain: ModuleDecision = { effect: 'abstain', reasons: [], obligations: {} };

function reasonOf(ability: Ability, rule: { origin: object; inverted: boolean } | null, request: PolicyRequest, type: string): Reason {
  const data = rule ? ability.origin.get(rule.origin) : undefined;
  if (data?.reason) return data.reason;
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  const roles = request.principal.roles.join(', ');
  if (rule && !rule.inverted) {
    // Stryker disable next-line StringLiteral: message text, tests assert codes
    const message = `roles [${roles}] may ${request.action} ${type}`;
    return { code: 'ROLE_ALLOWS', message, regulation: null };
  }
  // Stryker disable next-line StringLiteral: message text, tests assert codes
  const message = `no rule lets roles [${roles}] ${request.action} this ${type}`;
  return { code: 'NOT_PERMITTED', message, regulation: null };
}

/** The fields this principal may not see (deny rules with fields) and the masks of its allow rules. */
function fieldObligations(ability: Ability, file: PolicyFile<CaslBody>, action: string, type: ResourceType, catalogue: Catalogue): Obligations {
  const hide = personalFields(catalogue, type).filter((field) => !ability.casl.can(action, type, field));
  const mask: Record<string, Mask> = {};
  for (const rule of ability.casl.rulesFor(action, type)) {
    for (const [field, name] of Object.entries(ability.origin.get(rule.origin)?.mask ?? {})) mask[field] = file.body.masks[name]!;
  }
  return {
    ...(hide.length ? { hide } : {}),
    ...(Object.keys(mask).length ? { mask } : {}),
  };
}

/** The fields of a type a rule may hide or mask: those the schema declares personal. */
const personalFields = (catalogue: Catalogue, type: ResourceType): string[] => Object.keys(catalogue.personal[type] ?? {});

type Ast = { operator: string; field?: string; value: unknown } | null;

/** CASL's rule AST (ucast) as a row condition; `null` means no rule allows anything. */
export function toCondition(ast: Ast): Condition {
  if (ast === null) return NONE;
  const children = () => (ast.value as Ast[]).map(toCondition);
  switch (ast.operator) {
    case 'and':
      return and(children());
    case 'or':
      return or(children());
    case 'not':
      return not(and(children()));
    case 'eq':
      return { op: 'eq', field: ast.field!, value: ast.value as Scalar };
    case 'ne':
      return { op: 'ne', field: ast.field!, value: ast.value as Scalar };
    case 'in':
      return { op: 'in', field: ast.field!, value: ast.value as Scalar[] };
    case 'nin':
      return not({ op: 'in', field: ast.field!, value: ast.value as Scalar[] });
    default:
      // the rule schema admits no other operator; refusing beats guessing
      throw new Error(`unsupported condition operator ${ast.operator}`);
  }
}

