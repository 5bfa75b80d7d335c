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
 */
export function useRequestDeadline({ timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS }: DeadlineOptions = {}): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      const controller = new AbortController();
      const { signal } = controller;
      const deadline = performance.now() + timeoutMs;
      const expire = () => controller.abort(clientError('REQUEST_TIMEOUT', `The request ran longer than ${timeoutMs} ms`, { limitMs: timeoutMs, http: { status: codes.REQUEST_TIMEOUT.status } }));
      // while the request waits (on SQL), the timer fires
      const timer = setTimeout(expire, timeoutMs);
      // while the executor runs through rows already loaded it never yields to timers, so the check
      // it makes before every field also reads the clock, every 64th time
      let checks = 0;
      signal.throwIfAborted = () => {
        if (!signal.aborted && (++checks & 63) === 0 && performance.now() >= deadline) expire();
        if (signal.aborted) throw signal.reason;
      };
      // graphql-tools' executor (the one Yoga runs) honours `signal`; envelop's types do not list it
      (args as typeof args & { signal: AbortSignal }).signal = signal;
      return {
        onExecuteDone: () => clearTimeout(timer),
      };
    },
  };
}
