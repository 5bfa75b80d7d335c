import '../src/audit/context.ts';
import { replay, type ReplaySummary } from '../src/audit/replay.ts';
import { verifyChain, type ChainStatus } from '../src/audit/verify.ts';
import { listAuditEvents, loadAuditEvent, type AuditEventRow } from '../src/data/audit.ts';
import { badInput } from '../src/errors.ts';
import { keyOf, toGlobalId } from '../src/ids.ts';
import { permitOf } from '../src/policy/gate.ts';
import { builder } from './builder.ts';
import { connectionOf, NodeRef, pageArgs, registerNode } from './relay.ts';

export const DecisionEnum = builder.enumType('Decision', { values: ['ALLOW', 'DENY'] as const });

const AuditEventRef = builder.objectRef<AuditEventRow>('AuditEvent').implement({
  action: 'audit.read',
  resource: 'AuditEvent',
  interfaces: [NodeRef],
  description:
    'One decision of one request: who, why, what, under which policy versions, the outcome and why. Reads are one record per request and resource type. Never personal data values.',
  fields: (t) => ({
    id: t.id({ action: 'public', resolve: (e) => toGlobalId('AuditEvent', e.seq) }),
    seq: t.string({ description: 'Position in the hash chain, increasing with no gap', resolve: (e) => e.seq }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    actor: t.exposeString('actor', { description: 'Principal id' }),
    roles: t.exposeStringList('roles'),
    purpose: t.exposeString('purpose', { nullable: true, description: 'The declared purpose (x-access-purpose)' }),
    operation: t.exposeString('operation', { description: 'Operation name, "anonymous", or the CLI command (e.g. "fingate policy activate")' }),
    operationHash: t.exposeString('operationHash', { nullable: true, description: "sha256 of the operation's document" }),
    requestId: t.exposeString('requestId', { description: 'x-request-id, or one the gateway made up; the same for every record of a request' }),
    kind: t.exposeString('kind', { description: 'The record kind of the audit policy (transaction, access, policy…), which sets retainUntil' }),
    retainUntil: t.field({ type: 'DateTime', description: 'Kept at least until then, as the audit policy cites', resolve: (e) => e.retainUntil }),
    action: t.exposeString('action', { description: 'e.g. "customer.read", "account.transfer"' }),
    fieldPath: t.exposeString('fieldPath', { description: 'The root-most path decided, e.g. "customers" or "Mutation.purchaseProduct"' }),
    fields: t.exposeStringList('fields', { description: 'Every response path read under this decision, e.g. "customer.idNumber"' }),
    masked: t.exposeStringList('masked', { description: 'Of fields, those returned masked' }),
    hidden: t.exposeStringList('hidden', { description: 'Of fields, those returned as null' }),
    resourceType: t.exposeString('resourceType', { nullable: true }),
    resourceId: t.exposeString('resourceId', { nullable: true, description: 'The record decided on, when exactly one' }),
    resourceIds: t.exposeStringList('resourceIds', { description: 'Every record the decision covered (database keys)' }),
    customerIds: t.idList({ description: 'The customers whose data it covered', resolve: (e) => e.customerIds.map((key) => toGlobalId('Customer', key)) }),
    decision: t.field({ type: DecisionEnum, resolve: (e) => e.decision }),
    failed: t.exposeBoolean('failed', { description: 'The write it allowed failed and rolled back: this records the attempt' }),
    inTransaction: t.exposeBoolean('inTransaction', { description: "Written in the write's own database transaction" }),
    policies: t.exposeStringList('policies', { description: '"name@version" of every policy version in force' }),
    policyHashes: t.stringList({ description: "sha256 of each policy version's file, in the order of policies", resolve: (e) => e.policySha256 }),
    reasons: t.exposeStringList('reasons', { description: 'Reason codes of every verdict' }),
    detail: t.field({
      type: 'JSON',
      description: "Verdicts (module@version, effect, reasons with citations), obligations applied, shadow disagreements, and the decision's input for replay, personal values redacted",
      resolve: (e) => e.detail,
    }),
    hash: t.exposeString('hash', { nullable: true, description: 'sha256(prevHash || canonical record)' }),
    prevHash: t.exposeString('prevHash'),
  }),
});

const AuditEventConnection = connectionOf('AuditEvent', AuditEventRef);

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    actor: t.string(),
    resourceType: t.string(),
    resourceId: t.string({ description: 'A record the decision covered (a database key, as in resourceIds)' }),
    customerId: t.id({ description: 'A customer whose data the decision covered' }),
    purpose: t.string(),
    decision: t.field({ type: DecisionEnum }),
    policy: t.string({ description: 'module@version, e.g. "access@2": decided under that version' }),
    fieldPath: t.string({ description: 'A path read under the decision, e.g. "customer.idNumber"' }),
    kind: t.string(),
    action: t.string(),
    requestId: t.string(),
    failed: t.boolean(),
    from: t.field({ type: 'DateTime', description: 'Inclusive' }),
    to: t.field({ type: 'DateTime', description: 'Exclusive' }),
  }),
});

const SignatureCheckEnum = builder.enumType('AuditSignatureCheck', {
  description: 'VALID: signed with the configured key; FOREIGN_KEY: signed with another key; INVALID: not a valid signature',
  values: ['VALID', 'FOREIGN_KEY', 'INVALID'] as const,
});

const AuditChainProblemEnum = builder.enumType('AuditChainProblem', {
  values: ['HASH_MISMATCH', 'LINK_BROKEN', 'GAP', 'CHECKPOINT_MISMATCH', 'CHECKPOINT_BEYOND_HEAD', 'CHECKPOINT_FOREIGN_KEY', 'CHECKPOINT_BAD_SIGNATURE'] as const,
});

const AuditCheckpointRef = builder.objectRef<NonNullable<ChainStatus['checkpoint']>>('AuditCheckpoint').implement({
  action: 'public',
  description: "A signed head of the chain (Ed25519, the sealer's key)",
  fields: (t) => ({
    seq: t.exposeString('seq'),
    hash: t.exposeString('hash'),
    at: t.field({ type: 'DateTime', resolve: (c) => c.at }),
    keyId: t.exposeString('keyId', { description: "sha256 of the signer's public key, first 32 hex digits" }),
    signature: t.field({ type: SignatureCheckEnum, resolve: (c) => (c.signatureCheck === 'foreign-key' ? 'FOREIGN_KEY' : c.signatureCheck === 'valid' ? 'VALID' : 'INVALID') }),
  }),
});

const AuditChainStatusRef = builder.objectRef<ChainStatus>('AuditChainStatus').implement({
  action: 'audit.read',
  resource: 'AuditEvent',
  records: { key: () => 'chain', attributes: () => ({}) },
  fields: (t) => ({
    verified: t.exposeBoolean('verified'),
    sealedThrough: t.exposeString('sealedThrough', { nullable: true, description: 'The last sealed position' }),
    length: t.exposeString('length', { description: 'Records in the trail, sealed or waiting to be' }),
    unsealed: t.exposeString('unsealed', { description: 'Committed records waiting for their position (sealing takes about a second)' }),
    headHash: t.exposeString('headHash', { nullable: true }),
    firstBrokenSeq: t.exposeString('firstBrokenSeq', { nullable: true }),
    problem: t.field({ type: AuditChainProblemEnum, nullable: true, resolve: (s) => s.problem }),
    verifiedFrom: t.exposeString('verifiedFrom', { description: 'Hashes were recomputed after this position, from the newest signed checkpoint ("0": from the first record)' }),
    checkpoint: t.field({ type: AuditCheckpointRef, nullable: true, resolve: (s) => s.checkpoint }),
  }),
});

const ReplayGroupRef = builder.objectRef<ReplaySummary['byAction'][number]>('PolicyReplayGroup').implement({
  action: 'public',
  fields: (t) => ({
    action: t.exposeString('action'),
    reason: t.exposeString('reason'),
    allowToDeny: t.exposeInt('allowToDeny'),
    denyToAllow: t.exposeInt('denyToAllow'),
  }),
});

const ReplayChangeRef = builder.objectRef<ReplaySummary['changes'][number]>('PolicyReplayChange').implement({
  action: 'public',
  fields: (t) => ({
    seq: t.exposeString('seq', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (c) => c.at }),
    action: t.exposeString('action'),
    actor: t.exposeString('actor'),
    resourceType: t.exposeString('resourceType', { nullable: true }),
    resourceId: t.exposeString('resourceId', { nullable: true }),
    before: t.field({ type: DecisionEnum, resolve: (c) => c.before }),
    after: t.field({ type: DecisionEnum, resolve: (c) => c.after }),
    reasons: t.exposeStringList('reasons'),
  }),
});

const ReplaySkipRef = builder.objectRef<ReplaySummary['skipped'][number]>('PolicyReplaySkip').implement({
  action: 'public',
  fields: (t) => ({ reason: t.exposeString('reason'), count: t.exposeInt('count') }),
});

const PolicyReplayRef = builder.objectRef<ReplaySummary>('PolicyReplay').implement({
  action: 'audit.read',
  resource: 'AuditEvent',
  description: 'The recorded decisions of a period decided again under a draft version',
  fields: (t) => ({
    draft: t.exposeString('draft', { description: 'module@version' }),
    since: t.field({ type: 'DateTime', resolve: (s) => s.since }),
    until: t.field({ type: 'DateTime', resolve: (s) => s.until }),
    replayed: t.exposeInt('replayed'),
    unchanged: t.exposeInt('unchanged'),
    allowToDeny: t.exposeInt('allowToDeny'),
    denyToAllow: t.exposeInt('denyToAllow', { description: 'Loosening: review before activating' }),
    byAction: t.field({ type: [ReplayGroupRef], resolve: (s) => s.byAction }),
    changes: t.field({ type: [ReplayChangeRef], resolve: (s) => s.changes }),
    skipped: t.field({ type: [ReplaySkipRef], resolve: (s) => s.skipped }),
  }),
});

registerNode('AuditEvent', { action: 'audit.read', load: ({ sql }, permit, key) => loadAuditEvent(sql, permit, key) });

builder.queryFields((t) => ({
  auditEvents: t.field({
    type: AuditEventConnection,
    description: 'The audit trail in chain order (records appear once sealed, about a second after commit)',
    args: { ...pageArgs, filter: t.arg({ type: AuditEventFilter }) },
    resolve: (_root, args, { sql }) => {
      const { customerId, ...filter } = args.filter ?? {};
      return listAuditEvents(sql, permitOf(args), args, { ...filter, customerId: customerId ? keyOf(customerId, 'Customer', 'filter.customerId') : undefined });
    },
  }),
  auditChain: t.field({
    type: AuditChainStatusRef,
    description:
      'Recomputes the hash chain after the newest signed checkpoint (whose hash the chain must still have at its position) and reports the first broken position; full: from the first record',
    args: { full: t.arg.boolean({ description: 'Recompute every position, not only those after the newest checkpoint' }) },
    resolve: (_root, args, { sql, audit }) => verifyChain(sql, permitOf(args), { publicKey: audit.publicKey, full: args.full ?? false }),
  }),
  policyReplay: t.field({
    type: PolicyReplayRef,
    description: 'Decides the recorded decisions since an instant again with a draft version in place of its module: what would flip, before activatePolicy',
    args: {
      name: t.arg.string({ required: true }),
      version: t.arg.string({ required: true, description: 'The version number, e.g. "3"' }),
      since: t.arg({ type: 'DateTime', required: true }),
      until: t.arg({ type: 'DateTime' }),
      changes: t.arg.int({ description: 'Changed records listed at most: default 20, at most 100' }),
    },
    resolve: (_root, args, { sql, policies }) => {
      const version = /^v?([1-9]\d{0,8})$/.exec(args.version)?.[1];
      if (!version) throw badInput('version', 'must be a version number such as "3"');
      const changes = args.changes ?? 20;
      if (changes < 0 || changes > 100) throw badInput('changes', 'must be between 0 and 100');
      return replay(sql, permitOf(args), policies.store, { module: args.name, version: Number(version), since: args.since, until: args.until ?? undefined, changesLimit: changes });
    },
  }),
}));
