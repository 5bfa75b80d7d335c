import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { clientError, codes } from './errors.ts';

/** The default time budget of one query's execution. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** How long one query may execute. */
export interface DeadlineOptions {
  /** Milliseconds from the start of execution. @default DEFAULT_REQUEST_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * Ends a query that runs past its time budget: the executor stops calling resolvers (it asks the
 * signal before every field), the request answers `REQUEST_TIMEOUT` (HTTP 503), and the work it
 * would have started next never starts. A statement already sent runs to its end in PostgreSQL
 * (bound it with `statement_timeout`, see the README). Mutations run to their end: a money movement
 * waiting for its locks would still commit after a timeout answer, and its answer must say what
 * happened (the cost limit bounds what a mutation selects).
 *
 * The deadline is a timer, so it ends a query while it waits (for SQL, between batches), not in the
 * middle of a long synchronous run over rows already loaded: the cost limit is what bounds those.
 * (Aborting from the executor's own per-field check was tried: graphql-tools then leaves the fields
 * it already started rejecting with no handler, which crashes the process.)
 */
export function useRequestDeadline({ timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS }: DeadlineOptions = {}): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(clientError('REQUEST_TIMEOUT', `The request ran longer than ${timeoutMs} ms`, { limitMs: timeoutMs, http: { status: codes.REQUEST_TIMEOUT.status } })),
        timeoutMs,
      );
      // graphql-tools' executor (the one Yoga runs) honours `signal`; envelop's types do not list it
      (args as typeof args & { signal: AbortSignal }).signal = controller.signal;
      return {
        onExecuteDone: () => clearTimeout(timer),
      };
    },
  };
}
