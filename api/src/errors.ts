import { GraphQLError } from "graphql";

/** The documented error codes of CONTRACT.md; clients switch on `extensions.code`. */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "RATE_LIMITED",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  /** A persisted document's hash the API does not know (message `PersistedQueryNotFound`, as APQ clients expect). */
  PERSISTED_QUERY_NOT_FOUND: "PERSISTED_QUERY_NOT_FOUND",
  /** A document sent as text where only trusted (persisted) documents run. */
  PERSISTED_QUERY_REQUIRED: "PERSISTED_QUERY_REQUIRED",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, RATE_LIMITED: 429, PERSISTED_QUERY_REQUIRED: 400 };

/**
 * The challenge of every HTTP 401 (RFC 9110 §11.6.1, RFC 6750 §3): a bearer token or an API key. Presented credentials
 * that were refused add `error="invalid_token"`.
 */
export const WWW_AUTHENTICATE = 'Bearer realm="h2o-acp"';
export const WWW_AUTHENTICATE_INVALID = `${WWW_AUTHENTICATE}, error="invalid_token"`;

/**
 * An expected failure a client can act on. It reaches the client with its message and `extensions.code`
 * (and `extensions.field` naming the offending input field, when there is one); anything else is masked.
 */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: { field?: string[] | string; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    const headers = extra.headers ?? (code === ErrorCode.UNAUTHENTICATED ? { "www-authenticate": WWW_AUTHENTICATE } : undefined);
    const field = typeof extra.field === "string" ? extra.field.split(".") : extra.field;
    super(message, {
      extensions: {
        code,
        ...(field ? { field } : {}),
        ...extra.details,
        // yoga takes the response's status and headers from here, and leaves `http` out of the body
        ...(httpStatus[code] ? { http: { status: httpStatus[code], ...(headers ? { headers } : {}) } } : {}),
      },
    });
    this.name = "AppError";
  }
}

export const badInput = (message: string, field?: string[] | string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field, details });
export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string, details?: Record<string, unknown>) => new AppError(ErrorCode.CONFLICT, message, { details });
export const forbidden = (message = "not allowed") => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = "authentication required") => new AppError(ErrorCode.UNAUTHENTICATED, message);
/** Presented credentials that were refused (bad signature, wrong algorithm, expired, revoked, unknown). */
export const invalidCredentials = (message: string) =>
  new AppError(ErrorCode.UNAUTHENTICATED, message, { headers: { "www-authenticate": WWW_AUTHENTICATE_INVALID } });

/**
 * The one error mask (HTTP and live subscriptions): AppErrors and GraphQL's own parse/validation errors pass
 * unchanged; GraphQL errors without a code (variables that cannot be coerced) and input coercion errors (bad variables, scalars, Pothos's input checks) become BAD_USER_INPUT; anything
 * else is an INTERNAL_SERVER_ERROR whose details reach the client only when `exposeDetails` (development).
 */
export function maskError(error: unknown, options: { message?: string; exposeDetails?: boolean; onUnexpected?: (original: unknown) => void } = {}): GraphQLError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) return error instanceof GraphQLError ? error : original; // keeps path and locations
  // GraphQL's own errors: parse and validation (coded by yoga) pass; a variable that cannot be coerced (null for a
  // non-null type, a missing required one) comes without a code and is the client's input: BAD_USER_INPUT
  if (error instanceof GraphQLError && !error.originalError)
    return error.extensions?.code ? error : new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT } });
  if (error instanceof GraphQLError && original instanceof GraphQLError)
    return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT } });
  options.onUnexpected?.(original);
  const message = options.message ?? "Unexpected error.";
  return new GraphQLError(options.exposeDetails ? `${message}: ${(original as Error)?.message}` : message, {
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}
