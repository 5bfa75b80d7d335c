import { listAuditEvents, loadAuditEvent, verifyChain, type AuditEventRow } from '../src/data/audit.ts';
import { toGlobalId } from '../src/ids.ts';
import { permitOf } from '../src/policy/gate.ts';
import { builder } from './builder.ts';
import { connectionOf, NodeRef, pageArgs, registerNode } from './relay.ts';

export const DecisionEnum = builder.enumType('Decision', { values: ['ALLOW', 'DENY'] as const });

const AuditEventRef = builder.objectRef<AuditEventRow>('AuditEvent').implement({
  action: 'audit.read',
  resource: 'AuditEvent',
  interfaces: [NodeRef],
  description: 'One access decision: who, why, what, under which policy versions, and the outcome. Never personal data values.',
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (e) => toGlobalId('AuditEvent', e.id) }),
    seq: t.string({ description: 'Position in the log, increasing', resolve: (e) => e.id }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    actor: t.exposeString('actor', { description: 'Principal id' }),
    roles: t.exposeStringList('roles'),
    purpose: t.exposeString('purpose', { nullable: true }),
    operation: t.exposeString('operation', { description: 'Operation name, or "anonymous"' }),
    fieldPath: t.exposeString('fieldPath', { description: 'e.g. "customer.idNumber" or "Mutation.purchaseProduct"' }),
    resourceType: t.exposeString('resourceType', { nullable: true }),
    resourceId: t.exposeString('resourceId', { nullable: true }),
    decision: t.field({ type: DecisionEnum, resolve: (e) => e.decision }),
    policies: t.exposeStringList('policies', { description: '"name@version" of every policy that decided' }),
    reasons: t.exposeStringList('reasons'),
    hash: t.exposeString('hash', { nullable: true, description: 'Null until sealed into the chain' }),
  }),
});

const AuditEventConnection = connectionOf('AuditEvent', AuditEventRef);

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    actor: t.string(),
    resourceType: t.string(),
    resourceId: t.string(),
    decision: t.field({ type: DecisionEnum }),
    from: t.field({ type: 'DateTime' }),
    to: t.field({ type: 'DateTime' }),
    fieldPath: t.string(),
  }),
});

const AuditChainStatusRef = builder
  .objectRef<Awaited<ReturnType<typeof verifyChain>>>('AuditChainStatus')
  .implement({
    action: 'audit.read',
    resource: 'AuditEvent',
    records: { key: () => 'chain', attributes: () => ({}) },
    fields: (t) => ({
      verified: t.exposeBoolean('verified'),
      sealedThrough: t.exposeString('sealedThrough', { nullable: true }),
      length: t.exposeString('length'),
      headHash: t.exposeString('headHash', { nullable: true }),
      firstBrokenSeq: t.exposeString('firstBrokenSeq', { nullable: true }),
    }),
  });

registerNode('AuditEvent', { action: 'audit.read', load: ({ sql }, permit, key) => loadAuditEvent(sql, permit, key) });

builder.queryFields((t) => ({
  auditEvents: t.field({
    type: AuditEventConnection,
    description: 'The audit trail in log order',
    args: { ...pageArgs, filter: t.arg({ type: AuditEventFilter }) },
    resolve: (_root, args, { sql }) => listAuditEvents(sql, permitOf(args), args, args.filter ?? {}),
  }),
  auditChain: t.field({
    type: AuditChainStatusRef,
    description: 'Recomputes the hash chain and reports the first broken position',
    resolve: (_root, args, { sql }) => verifyChain(sql, permitOf(args)),
  }),
}));
