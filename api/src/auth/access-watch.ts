import type { Context } from "../context.ts";
import { capabilityColumn } from "../domain/capabilities.ts";
import type { DomainEvent, EntityType } from "../events/domain-event.ts";
import { pubsub, topicFor } from "../events/pubsub.ts";
import type { Principal } from "./principal.ts";

/** The entity kinds whose changes can take a principal's rights away in its tenant. */
const watchedKinds = (principal: Principal): EntityType[] => (principal.kind === "user" ? ["user", "membership", "tenant_config"] : principal.kind === "api_key" ? ["api_key", "tenant_config"] : []);

/**
 * Whether `event` (a change in the principal's tenant) changes the rights a connection was opened with: the tenant's
 * capabilities changed (a subscription to a capability switched off must end, one switched on becomes possible); the
 * API key was revoked or deleted; the user was disabled; the user's membership changed (re-roled or removed).
 */
export function accessChangedBy(principal: Principal, event: DomainEvent): boolean {
  const after = event.after as { status?: string; revokedAt?: unknown } | null;
  const row = (event.after ?? event.before) as { userId?: string } | null;
  switch (event.entityType) {
    case "tenant_config":
      return Object.values(capabilityColumn).some((column) => (event.before as Record<string, unknown> | null)?.[column] !== (after as Record<string, unknown> | null)?.[column]);
    case "api_key":
      return principal.kind === "api_key" && event.entityId === principal.apiKeyId && (!after || after.revokedAt != null);
    case "user":
      return principal.kind === "user" && event.entityId === principal.userId && after?.status === "disabled";
    case "membership":
      return principal.kind === "user" && row?.userId === principal.userId && event.action !== "created";
    default:
      return false;
  }
}

/**
 * Calls `onChanged` once when the rights of a long-lived connection's context change, on whichever replica the
 * change was made (the pipeline's events arrive through the pubsub). Returns the function that stops watching (call
 * it when the connection closes). A context without a tenant, or of the system, is not watched.
 */
export function watchAccess(context: Pick<Context, "principal" | "tenant">, onChanged: () => void): () => void {
  const { principal, tenant } = context;
  if (!tenant || (principal?.kind !== "user" && principal?.kind !== "api_key")) return () => undefined;
  const subs = watchedKinds(principal).map((kind) => pubsub.subscribe(topicFor(tenant.id, kind)));
  let done = false;
  for (const sub of subs)
    void (async () => {
      for await (const event of sub)
        if (!done && accessChangedBy(principal, event)) {
          done = true;
          return onChanged();
        }
    })().catch(() => undefined);
  return () => void Promise.all(subs.map((sub) => sub.return()));
}
