import type { AuthFailure, ForbiddenResult } from "@pothos/plugin-scope-auth";
import type { Context } from "../context.ts";
import { AppError, ErrorCode } from "../errors.ts";

/**
 * Turns a scope-auth refusal into the typed error a client acts on: UNAUTHENTICATED without (accepted)
 * credentials; FORBIDDEN without an acting tenant, naming the capability(ies) the tenant lacks, or naming the
 * action the caller's role or key may not take. Messages name no data, only what is missing.
 */
export function authorizationError(ctx: Context, result: ForbiddenResult): AppError {
  if (!ctx.principal) return ctx.authError ?? new AppError(ErrorCode.UNAUTHENTICATED, "authentication required");
  const missing = failedParameters(result.failure, "capability");
  if (missing.length && ctx.tenant) {
    const names = missing.map((c) => `"${c}"`).join(" or ");
    return new AppError(ErrorCode.FORBIDDEN, `the ${names} capability is not enabled for this tenant`, {
      details: { capability: missing.length === 1 ? missing[0] : missing },
    });
  }
  if (!ctx.tenant) return new AppError(ErrorCode.FORBIDDEN, "no acting tenant: choose one with the X-Tenant-Id header");
  const actions = failedParameters(result.failure, "can");
  if (actions.length) {
    const who = ctx.principal.kind === "user" ? `your role (${ctx.principal.role})` : "this API key's scopes";
    return new AppError(ErrorCode.FORBIDDEN, `${who} does not allow ${actions.join(" or ")}`, { details: { action: actions.length === 1 ? actions[0] : actions } });
  }
  return new AppError(ErrorCode.FORBIDDEN, result.message || "not allowed");
}

function failedParameters(failure: AuthFailure, scope: string): string[] {
  if ("failures" in failure) return [...new Set(failure.failures.flatMap((f) => failedParameters(f, scope)))];
  if ("scope" in failure && failure.scope === scope && "parameter" in failure) return [failure.parameter].flat().map(String);
  return [];
}
