import { GraphQLError } from 'graphql';

/**
 * The one registry of error codes. Clients and tests rely on `code`; messages may change.
 * `status` is the HTTP status used when the error ends a request before execution.
 */
export const codes = {
  UNAUTHENTICATED: { status: 401, message: 'Missing or invalid bearer token' },
  BAD_USER_INPUT: { status: 400, message: 'Invalid input' },
  NOT_FOUND: { status: 200, message: 'Not found' },
  POLICY_DENIED: { status: 200, message: 'Denied by policy' },
  IDEMPOTENCY_CONFLICT: { status: 200, message: 'Idempotency key reused with a different request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 200, message: 'A request with this idempotency key is still running; retry' },
  INSUFFICIENT_FUNDS: { status: 200, message: 'Insufficient funds' },
  PRODUCT_NOT_AVAILABLE: { status: 200, message: 'The product is not open for dealing' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable; retry' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
  REQUEST_TIMEOUT: { status: 503, message: 'The request ran out of time; ask for less or retry' },
} as const;

/** A stable error code from the registry. */
export type ErrorCode = keyof typeof codes;

/** Extra, machine-readable detail for a client error (e.g. the offending `field`). */
export type ErrorDetail = Record<string, unknown>;

/** A client-facing error: a GraphQLError whose `extensions.code` comes from the registry. */
export function clientError(code: ErrorCode, message: string = codes[code].message, detail: ErrorDetail = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...detail } });
}

/** `BAD_USER_INPUT` naming the argument or input field that was wrong. */
export function badInput(field: string, message: string): GraphQLError {
  return clientError('BAD_USER_INPUT', `${field}: ${message}`, { field });
}

export const notFound = (what: string): GraphQLError => clientError('NOT_FOUND', `${what} not found`);

/** Whether an error came from this registry (and so may be shown to the client as is). */
export function isClientError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && typeof error.extensions?.code === 'string' && error.extensions.code in codes;
}

/**
 * The HTTP status of a response whose errors ended the request before execution (no `data`):
 * the highest registry status among their codes, e.g. 401 for UNAUTHENTICATED, 400 for
 * BAD_USER_INPUT. Errors during execution leave the status at 200, as GraphQL over HTTP asks
 * when a response carries data.
 */
export function statusOf(errors: readonly { extensions?: Record<string, unknown> }[]): number | undefined {
  let status: number | undefined;
  for (const error of errors) {
    const code = error.extensions?.code;
    const known = typeof code === 'string' && Object.hasOwn(codes, code) ? codes[code as ErrorCode].status : undefined;
    if (known !== undefined && (status === undefined || known > status)) status = known;
  }
  return status;
}

/**
 * A start-up or CLI failure: one line naming the problem, then a non-zero exit.
 * The message is written for an operator, not a GraphQL client.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
