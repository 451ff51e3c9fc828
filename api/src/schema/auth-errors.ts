import type { AuthFailure, ForbiddenResult } from "@pothos/plugin-scope-auth";
import type { Context } from "../context.ts";
import { AppError, ErrorCode } from "../errors.ts";

/**
 * Turns a scope-auth refusal into the typed error a client acts on: UNAUTHENTICATED without an acting tenant,
 * FORBIDDEN naming the capability(ies) the tenant lacks, FORBIDDEN otherwise.
 */
export function authorizationError(ctx: Context, result: ForbiddenResult): AppError {
  if (!ctx.tenant) return new AppError(ErrorCode.UNAUTHENTICATED, "this field needs an acting tenant");
  const missing = missingCapabilities(result.failure);
  if (missing.length) {
    const names = missing.map((c) => `"${c}"`).join(" or ");
    return new AppError(ErrorCode.FORBIDDEN, `the ${names} capability is not enabled for this tenant`, {
      details: { capability: missing.length === 1 ? missing[0] : missing },
    });
  }
  return new AppError(ErrorCode.FORBIDDEN, result.message || "not allowed");
}

function missingCapabilities(failure: AuthFailure): string[] {
  if ("failures" in failure) return [...new Set(failure.failures.flatMap(missingCapabilities))];
  if ("scope" in failure && failure.scope === "capability" && "parameter" in failure) return [failure.parameter].flat().map(String);
  return [];
}
