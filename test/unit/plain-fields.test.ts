import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.ts';
import { catalogue } from '../../src/gateway.ts';
import { plainFieldsOf, withoutResolvers } from '../../src/policy/plain-fields.ts';
import { createRequestPolicy } from '../../src/policy/request-policy.ts';
import type { VersionSet } from '../../src/policy/runtime.ts';
import type { Decision, Obligations, PolicyRequest } from '../../src/policy/types.ts';

const W2 = parse(`{ transactions(first: 100) { edges { cursor node { id type amount currency product { name issuer { name } } customer { name } } } } }`);

describe('plainFieldsOf', () => {
  it('finds the exposed scalars read under their type action and the public exposed fields, not computed ones', () => {
    const plain = plainFieldsOf(schema, W2);
    expect(plain.leaves).toEqual([
      { action: 'transaction.read', fields: ['type', 'amount', 'currency'] },
      { action: 'product.read', fields: ['name'] },
      { action: 'institution.read', fields: ['name'] },
      { action: 'customer.read', fields: ['name'] },
    ]);
    // id and cursor are computed: they keep their resolvers
    expect(plain.fields.map((f) => f.name).sort()).toEqual(['amount', 'currency', 'name', 'name', 'name', 'node', 'type']);
  });

  it('leaves out the personal ones when asked to (the variant for requests that mask one)', () => {
    const plain = plainFieldsOf(schema, W2, { personal: false });
    expect(plain.leaves).toEqual([
      { action: 'transaction.read', fields: ['type', 'currency'] },
      { action: 'product.read', fields: ['name'] },
      { action: 'institution.read', fields: ['name'] },
    ]);
    expect(plain.fields.map((f) => f.name).sort()).toEqual(['currency', 'name', 'name', 'node', 'type']);
  });

  it('removes their resolvers only while the given function runs', () => {
    const { fields } = plainFieldsOf(schema, W2);
    const resolvers = fields.map((f) => f.resolve);
    // the gated ones run the gate's wrapper (a public exposed one may have no resolver at all)
    expect(fields.filter((f) => f.extensions.action !== 'public').every((f) => typeof f.resolve === 'function')).toBe(true);
    expect(withoutResolvers(fields, () => fields.map((f) => f.resolve))).toEqual(fields.map(() => undefined));
    expect(fields.map((f) => f.resolve)).toEqual(resolvers);
  });
});

/** A version set answering each type-level read with the obligations given for its action, and counting decisions. */
function versionsWith(byAction: Record<string, Obligations | 'deny'>) {
  const decided: string[] = [];
  const decide = (request: PolicyRequest): Decision => {
    decided.push(request.action);
    const obligations = byAction[request.action] ?? {};
    return obligations === 'deny' ? { allow: false, verdicts: [], obligations: {} } : { allow: true, verdicts: [], obligations };
  };
  const versions = { ids: [], policies: [], facts: [], observers: [], shadows: [], missing: [], decide, decideWithShadow: decide, data: () => ({}) } as unknown as VersionSet;
  return { versions, decided };
}

function policyOf(versions: VersionSet) {
  return createRequestPolicy({
    versions,
    principal: { id: 'svc', roles: ['service'], scopes: [] },
    purpose: null,
    now: new Date(),
    requestId: 'r',
    facts: {},
    actions: catalogue.actions,
    timeZone: 'Asia/Shanghai',
  });
}

describe('RequestPolicy.untouched', () => {
  it('is false when a decision hides or masks a plain field, or denies its read; true when it only touches others', () => {
    const { versions } = versionsWith({
      'transaction.read': { hide: ['currency'] },
      'product.read': { mask: { name: { keepStart: 1, keepEnd: 0 } } as never },
      'customer.read': 'deny',
    });
    const policy = policyOf(versions);
    expect(policy.untouched([{ action: 'transaction.read', fields: ['currency'] }])).toBe(false);
    expect(policy.untouched([{ action: 'product.read', fields: ['name'] }])).toBe(false);
    expect(policy.untouched([{ action: 'customer.read', fields: ['ageBand'] }])).toBe(false);
    expect(policy.untouched([{ action: 'transaction.read', fields: ['type', 'status'] }, { action: 'institution.read', fields: ['name'] }])).toBe(true);
  });

  it('decides ahead without keeping: the stream holds a decision only once a field asks for it, decided once', () => {
    const { versions, decided } = versionsWith({});
    const policy = policyOf(versions);
    expect(policy.untouched([{ action: 'transaction.read', fields: ['type'] }, { action: 'product.read', fields: ['name'] }])).toBe(true);
    expect(policy.stream().decisions).toEqual([]);
    policy.permit('transaction.read', 'Transaction');
    expect(policy.stream().decisions.map((d) => d.action)).toEqual(['transaction.read']);
    expect(decided).toEqual(['transaction.read', 'product.read']);
  });
});
