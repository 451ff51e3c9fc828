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
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, RATE_LIMITED: 429 };

/**
 * An expected failure a client can act on. It reaches the client with its message and `extensions.code`
 * (and `extensions.field` naming the offending input field, when there is one); anything else is masked.
 */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: { field?: string[] | string; details?: Record<string, unknown> } = {},
  ) {
    const field = typeof extra.field === "string" ? extra.field.split(".") : extra.field;
    super(message, {
      extensions: {
        code,
        ...(field ? { field } : {}),
        ...extra.details,
        ...(httpStatus[code] ? { http: { status: httpStatus[code] } } : {}),
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
