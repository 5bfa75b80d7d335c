// Operators' CLI commands that change data are recorded like requests: each is a decision stream
// of one decision, made by the operator (who holds the database credentials, so no policy decides
// it), handed to the same observers inside the command's own transaction where it has one.

import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/database.ts';
import type { Principal } from '../policy/principal.ts';
import type { VersionSet } from '../policy/runtime.ts';
import type { DecisionStream } from '../policy/types.ts';
import type { ResourceType } from '../resources.ts';

/**
 * The actions of data-changing CLI commands and of the gateway's own jobs (the cooling-off sweep's
 * `transaction.complete`) that no GraphQL field declares (activations are `policy.activate`).
 */
export const OPERATOR_ACTIONS = ['schema.migrate', 'data.seed', 'audit.checkpoint', 'transaction.complete'] as const;

/** The verdict an operator's command carries instead of a policy's: replay leaves these alone. */
export const OPERATOR_VERDICT = 'operator';

/** Who runs a CLI command: `--by NAME`, or the operating-system user. */
export function operator(by?: string): Principal {
  return { id: by ?? `cli:${process.env.USER ?? 'unknown'}`, roles: ['operator'], scopes: [] };
}

/** One data-changing command. */
export interface Command {
  /** The command as typed after `fingate` (e.g. `['policy', 'activate', 'access', '3']`). */
  argv: readonly string[];
  /** Its name, e.g. `fingate policy activate`. */
  name: string;
  action: string;
  resourceType: ResourceType | null;
  resourceIds: readonly string[];
  by: Principal;
  /** Written in the command's own transaction (false: after it committed, or after it failed). */
  inTransaction: boolean;
  failed?: boolean;
}

/**
 * Hands the command to the observers of `versions` (bound to an audit log) on `tx`. Returns how
 * many observers recorded it, so a deployment without one can say so.
 */
export async function recordCommand(tx: Sql, versions: VersionSet, command: Command): Promise<number> {
  const at = new Date();
  const stream: DecisionStream = {
    requestId: `cli:${randomUUID()}`,
    operationName: command.name,
    operationHash: null,
    principal: command.by,
    purpose: null,
    at,
    policies: versions.policies,
    decisions: [
      {
        action: command.action,
        resourceType: command.resourceType,
        resourceIds: command.resourceIds,
        fieldPaths: [],
        masked: [],
        hidden: [],
        outcome: 'allow',
        verdicts: [{ policy: OPERATOR_VERDICT, effect: 'allow', reasons: [{ code: 'OPERATOR_COMMAND', message: `fingate ${command.argv.join(' ')}`, regulation: null }] }],
        obligations: {},
        shadow: [],
        input: { principal: command.by, purpose: null, action: command.action, now: at, args: { argv: [...command.argv] } },
        inTransaction: command.inTransaction,
        failed: command.failed ?? false,
      },
    ],
  };
  const hooks = versions.observers.filter((o) => o.observe.transaction);
  await Promise.all(hooks.map((o) => o.observe.transaction!(tx, stream, o.config)));
  return hooks.length;
}
