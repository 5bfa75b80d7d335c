import type { Sql } from '../db/database.ts';

/** What a postgres.js client tells about its connections. */
export interface StatementListener {
  /** A statement was sent on pool connection `connection` (postgres.js's own type lookups included). */
  statement?(connection: number, text: string): void;
  /** Pool connection `connection` closed (idle timeout, error, end). */
  closed?(connection: number): void;
}

/**
 * Listens to an open client's statements and connection closes, beside any listener already there.
 * postgres.js takes these hooks only as options (`debug`, `onclose`), yet reads them from
 * `sql.options` at every statement and every close, so they can be added to the client
 * `openDatabase` made. Added this way, `debug` costs one call per statement: the client was created
 * without it, so its queries do not capture a stack trace each, as a client created with `debug`
 * does. While it is set, postgres.js makes a failed query's text and parameters enumerable on its
 * error: log errors through the logger's serializer (src/observability/log.ts), which never copies
 * them.
 */
export function listenToStatements(sql: Sql, listener: StatementListener): void {
  const options = sql.options;
  const { statement, closed } = listener;
  if (statement) {
    const previous = typeof options.debug === 'function' ? options.debug : undefined;
    options.debug = (connection, text, parameters, types) => {
      previous?.(connection, text, parameters, types);
      statement(connection, text);
    };
  }
  if (closed) {
    const previous = options.onclose;
    options.onclose = (connection) => {
      previous?.(connection);
      closed(connection);
    };
  }
}
