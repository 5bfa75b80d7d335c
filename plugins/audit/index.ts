// The audit module (an observer): every decision of the decision stream becomes an audit record,
// as its versioned policy file (policies/audit/) says — which kind, kept how long, which reads of
// non-personal data are left out, what of the input never goes in. A write's records are written
// in its own transaction; a request's other records with those of concurrent requests, before the
// response leaves (src/audit/log.ts). The module decides nothing.

import { logObserver } from '../../src/audit/observer.ts';
import { OPERATOR_ACTIONS } from '../../src/audit/operator.ts';
import type { Catalogue, CompiledPolicy, PolicyFile, PolicyModule } from '../../src/policy/types.ts';
import { auditBody, type AuditBody } from './body.ts';
import { recordsOf } from './records.ts';

/** The audit trail's policy module: records decisions; its file sets kinds, retention and redaction. */
export function auditPolicy(): PolicyModule<AuditBody> {
  return {
    name: 'audit',
    engine: 'observer',
    description: 'Records every decision (who, why, what, the outcome, under which versions), kept per record kind as the law requires; never personal data values',
    body: auditBody,
    compile: checkActions,
    observe: logObserver<AuditBody>((log) => ({
      transaction: (tx, stream, body) => log.writeIn(tx, recordsOf(stream, stream.decisions, required(body))),
      request: (stream, body) => log.write(recordsOf(stream, stream.decisions.filter((d) => !d.inTransaction), required(body))),
    })),
  };
}

/** A file naming an action nobody declares would file that action's records under the wrong kind: refused at load. */
function checkActions(file: PolicyFile<AuditBody>, { catalogue }: { catalogue: Catalogue }): CompiledPolicy {
  const known = new Set([...Object.keys(catalogue.actions), ...OPERATOR_ACTIONS]);
  for (const [name, k] of Object.entries(file.body.kinds)) {
    k.actions.forEach((action, i) => {
      if (!known.has(action)) fail(['kinds', name, 'actions', i], `no field declares the action ${action}`);
    });
  }
  file.body.nonPersonalReads.actions.forEach((action, i) => {
    if (!known.has(action)) fail(['nonPersonalReads', 'actions', i], `no field declares the action ${action}`);
  });
  return { decide: () => ({ effect: 'abstain', reasons: [], obligations: {} }) };
}

/** Observers with a body run only under an enforced version of it (the runtime's rule); fail closed otherwise. */
function required(body: AuditBody | undefined): AuditBody {
  if (!body) throw new Error('the audit module ran without its policy file');
  return body;
}

function fail(path: PropertyKey[], message: string): never {
  throw Object.assign(new Error(message), { path });
}
