// How an observer module reaches the audit log. The decision stream hands observers the stream and
// their policy file's body, and a write's transaction, but not the database a request's records
// go to: a module that writes is made with `logObserver`, and the composition root binds the
// version set of each request to its audit log (`AuditLog.bind`). Unbound, its hooks throw, so
// a deployment that forgets the binding fails its requests instead of serving them unrecorded.

import type { VersionSet } from '../policy/runtime.ts';
import type { Observer } from '../policy/types.ts';
import type { AuditLog } from './log.ts';

const BIND = Symbol('fingate.audit.bind');

/** An observer that needs an audit log; `make` is called once per log. */
type LogObserver<Body> = Observer<Body> & { readonly [BIND]: (log: AuditLog) => Observer<Body> };

/** An observer whose hooks write to the audit log the composition root binds it to. */
export function logObserver<Body>(make: (log: AuditLog) => Observer<Body>): Observer<Body> {
  const unbound = (): never => {
    throw new Error('an audit observer ran without an audit log: bind the version set with AuditLog.bind');
  };
  const observer: LogObserver<Body> = { transaction: unbound, request: unbound, [BIND]: make };
  return observer;
}

/** `versions` with every log observer bound to `log` (cached per version set in `cache`). */
export function bindObservers(versions: VersionSet, log: AuditLog, cache: WeakMap<VersionSet, VersionSet>): VersionSet {
  let bound = cache.get(versions);
  if (!bound) {
    bound = {
      ...versions,
      observers: versions.observers.map((o) => (BIND in o.observe ? { ...o, observe: boundObserver(o.observe as LogObserver<unknown>, log) } : o)),
    };
    cache.set(versions, bound);
  }
  return bound;
}

const boundByLog = new WeakMap<AuditLog, WeakMap<object, Observer>>();

function boundObserver(observer: LogObserver<unknown>, log: AuditLog): Observer {
  let forLog = boundByLog.get(log);
  if (!forLog) boundByLog.set(log, (forLog = new WeakMap()));
  let bound = forLog.get(observer);
  if (!bound) forLog.set(observer, (bound = observer[BIND](log)));
  return bound;
}
