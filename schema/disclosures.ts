import { loadAcknowledgementsByKey, loadDisclosure } from '../src/data/disclosures.ts';
import { loadProduct } from '../src/data/products.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { acknowledgeDisclosure } from '../src/money/acknowledgements.ts';
import { permitOf } from '../src/policy/gate.ts';
import { builder } from './builder.ts';
import { existing, NodeRef, registerNode } from './relay.ts';
import { AcknowledgementRef, DisclosureRef, ProductRef } from './refs.ts';

export const DisclosureKind = builder.enumType('DisclosureKind', {
  values: ['PROSPECTUS', 'RISK_DISCLOSURE', 'FEE_SCHEDULE', 'PERIODIC_REPORT'] as const,
});

DisclosureRef.implement({
  action: 'disclosure.read',
  resource: 'Disclosure',
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (d) => toGlobalId('Disclosure', d.id) }),
    product: t.field({
      type: ProductRef,
      resolve: (d, args, { sql, loaders }) => existing(loadProduct(sql, loaders, permitOf(args), d.productId), 'Product'),
    }),
    kind: t.field({ type: DisclosureKind, resolve: (d) => d.kind as never }),
    version: t.exposeInt('version'),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    publishedAt: t.field({ type: 'DateTime', resolve: (d) => d.publishedAt }),
    sha256: t.exposeString('contentSha256', { description: "sha256 (hex) of the body's UTF-8 bytes; a published disclosure never changes" }),
  }),
});

AcknowledgementRef.implement({
  action: 'acknowledgement.read',
  resource: 'Acknowledgement',
  records: { load: ({ sql }, permit, keys) => loadAcknowledgementsByKey(sql, permit, keys) },
  fields: (t) => ({
    disclosure: t.field({
      type: DisclosureRef,
      resolve: (a, args, { sql, loaders, now }) => existing(loadDisclosure(sql, loaders, permitOf(args), a.disclosureId, now), 'Disclosure'),
    }),
    acknowledgedAt: t.field({ type: 'DateTime', resolve: (a) => a.acknowledgedAt }),
    contentSha256: t.exposeString('contentSha256', {
      nullable: true,
      description: 'sha256 of the content acknowledged (the disclosure’s sha256); null for acknowledgements recorded before contents were hashed, which no longer count',
    }),
  }),
});

registerNode('Disclosure', { action: 'disclosure.read', load: ({ sql, loaders, now }, permit, key) => loadDisclosure(sql, loaders, permit, key, now) });

builder.queryField('disclosure', (t) =>
  t.field({
    type: DisclosureRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, { sql, loaders, now }) => existing(loadDisclosure(sql, loaders, permitOf(args), keyOf(args.id, 'Disclosure'), now), 'Disclosure'),
  }),
);

const AcknowledgeDisclosureInput = builder.inputType('AcknowledgeDisclosureInput', {
  fields: (t) => ({ disclosureId: t.id({ required: true }) }),
});

builder.mutationField('acknowledgeDisclosure', (t) =>
  t.field({
    type: AcknowledgementRef,
    action: 'disclosure.acknowledge',
    resource: 'Customer',
    description: 'Records that the caller has read this disclosure version; repeating it returns the same record',
    args: { input: t.arg({ type: AcknowledgeDisclosureInput, required: true }) },
    resolve: (_root, { input, ...args }, { sql, principal, now }) =>
      acknowledgeDisclosure(sql, permitOf(args), {
        customerKey: principal.customerId,
        disclosureKey: keyOf(input.disclosureId, 'Disclosure', 'input.disclosureId'),
        now,
      }),
  }),
);
