import { badInput } from '../src/errors.ts';
import { matches } from '../src/policy/condition.ts';
import { permitOf } from '../src/policy/gate.ts';
import type { PolicyListing } from '../src/policy/runtime.ts';
import { builder } from './builder.ts';

export const PolicyMode = builder.enumType('PolicyMode', {
  description: 'ENFORCE decides; SHADOW is evaluated beside the enforced version and its differing outcomes recorded; INACTIVE does neither',
  values: ['ENFORCE', 'SHADOW', 'INACTIVE'] as const,
});

const PolicyVersionRef = builder.objectRef<PolicyListing>('PolicyVersion').implement({
  action: 'policy.read',
  resource: 'Policy',
  records: { key: (p) => `${p.module}@${p.version}`, attributes: (p) => ({ module: p.module }) },
  description: 'One version of one policy module, and how it runs now',
  fields: (t) => ({
    name: t.exposeString('module'),
    version: t.string({ resolve: (p) => String(p.version) }),
    sha256: t.exposeString('sha256', { description: 'Of the policy file; activations pin it' }),
    effectiveFrom: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.effectiveFrom }),
    activatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.activatedAt }),
    activatedBy: t.string({ nullable: true, resolve: (p) => p.activatedBy }),
    mode: t.field({ type: PolicyMode, resolve: (p) => p.mode }),
  }),
});

builder.queryField('policies', (t) =>
  t.field({
    type: [PolicyVersionRef],
    description: 'Every valid policy version on disk, with the mode it runs in now',
    resolve: (_root, args, { policies, now }) => {
      const permit = permitOf(args);
      return policies.list(now).filter((p) => matches(permit.rows, { module: p.module }));
    },
  }),
);

const ActivatePolicyInput = builder.inputType('ActivatePolicyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    version: t.string({ required: true, description: 'The version number, e.g. "2"' }),
    mode: t.field({ type: PolicyMode, required: true }),
    effectiveFrom: t.field({ type: 'DateTime', description: 'Schedule it for later; default now' }),
  }),
});

builder.mutationField('activatePolicy', (t) =>
  t.field({
    type: PolicyVersionRef,
    action: 'policy.activate',
    resource: 'Policy',
    description: 'Enforces, shadows or deactivates a policy version, now or from a scheduled instant; every instance applies it within a second',
    args: { input: t.arg({ type: ActivatePolicyInput, required: true }) },
    resolve: async (_root, { input, ...args }, { policies, principal }) => {
      const version = /^v?([1-9]\d{0,8})$/.exec(input.version)?.[1];
      if (!version) throw badInput('input.version', 'must be a version number such as "2"');
      const { records } = permitOf(args);
      records!.decide({ type: 'Policy', id: `${input.name}@${version}`, attributes: { module: input.name }, facts: {}, args: { input } });
      const activation = await policies.activate({
        module: input.name,
        version: Number(version),
        mode: input.mode,
        effectiveFrom: input.effectiveFrom ?? undefined,
        by: principal.id,
        observe: (tx) => records!.observe(tx),
      });
      const file = policies.store.get(`${activation.module}@${activation.version}`)!.file;
      return {
        module: activation.module,
        version: activation.version,
        sha256: file.sha256,
        // the mode it was given; it is in force from effectiveFrom
        mode: activation.mode,
        effectiveFrom: activation.effectiveFrom,
        activatedAt: activation.activatedAt,
        activatedBy: activation.activatedBy,
      };
    },
  }),
);
