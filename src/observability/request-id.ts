import { randomUUID } from 'node:crypto';

/** The header that carries a request's id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

// what proxies and tracing systems send (UUIDs, hex trace ids, ULIDs…); nothing that could break a log line
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

const ids = new WeakMap<Request, string>();

/**
 * The request's id, fixed on first ask: the caller's `x-request-id` when it is sane (a proxy's or a
 * client's), else a new UUID. Logs, metrics and traces of one request all ask here.
 */
export function requestId(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const incoming = request.headers.get(REQUEST_ID_HEADER);
    id = incoming && SANE.test(incoming) ? incoming : randomUUID();
    ids.set(request, id);
  }
  return id;
}
