import type { KeyObject } from 'node:crypto';

/** What the auditors' queries need besides the database and the policy runtime. */
export interface AuditContext {
  /** The key stored checkpoints must be signed with (the sealer's); none: verification starts from the first record. */
  publicKey: KeyObject | undefined;
}

// The request context gains `audit` here, beside what it carries, so src/context.ts stays the
// gate's and the audit trail's additions stay in one place.
declare module '../context.ts' {
  interface GatewayContext {
    audit: AuditContext;
  }
}
