import type { ZodError } from "zod";
import { AppError, ErrorCode } from "../errors.ts";

/**
 * A failed input validation as BAD_USER_INPUT: `extensions.field` is the path of the first offending input
 * (e.g. ["input", "customerPhone"]); `extensions.issues` lists every problem with its path.
 */
export function validationError(error: ZodError): AppError {
  const issues = error.issues.map((i) => ({ field: i.path.map(String), message: i.message }));
  const first = issues[0] ?? { field: [], message: "invalid input" };
  const name = first.field.filter((p) => !/^\d+$/.test(p)).at(-1);
  return new AppError(ErrorCode.BAD_USER_INPUT, name ? `${name}: ${first.message}` : first.message, {
    field: first.field.length ? first.field : undefined,
    details: { issues },
  });
}
