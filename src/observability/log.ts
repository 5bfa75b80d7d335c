import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.ts';

export type { Logger };

export interface LoggerOptions {
  /** @default "info" */
  level?: LogLevel;
  /** Where the JSON lines go. @default stdout, written asynchronously (see createLogger) */
  destination?: DestinationStream;
}

/**
 * The gateway's structured log: one JSON object per line, ISO timestamps, `requestId` on every line
 * about a request. Errors are logged through `err`, whose serializer copies only what names the
 * failure: never the parameters, row values or `detail` a database error may carry (personal data).
 */
export function createLogger({ level = 'info', destination }: LoggerOptions = {}): Logger {
  const options = { level, base: { service: 'fingate' }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError } };
  // Lines gather into writes of 4 KiB, or leave after at most FLUSH_MS: under load a request costs an
  // append, not a system call (each one wakes the log's reader and, on a busy core, yields to it).
  // pino writes what is buffered when the process exits; only a SIGKILL loses the last FLUSH_MS.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: FLUSH_MS }));
}

/** How long a log line may wait in the buffer before it is written. */
const FLUSH_MS = 200;

/** The parts of an error an operator needs, and nothing a client sent or a row held. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, severity, routine } = error as { code?: unknown; severity?: unknown; routine?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof severity === 'string' ? { severity } : {}),
    ...(typeof routine === 'string' ? { routine } : {}),
    stack: error.stack,
  };
}

/** The gateway's `logError`: one `error` line per unexpected error, with its request's id. */
export function logErrorsTo(logger: Logger): (error: unknown, requestId: string) => void {
  return (error, requestId) => logger.error({ err: error, requestId }, 'unexpected error');
}
