import type { Context } from "../context.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import { registerTransactionalHook, type TenantTx, type TransactionalHook } from "../events/pipeline.ts";
import { redactSecrets } from "../webhooks/envelope.ts";

/** The actor as the identity layer records it on the event (`actorOf(ctx)`); older shapes carry only kind and id. */
interface EventActorLike {
  kind?: string | null;
  id?: string | null;
  label?: string | null;
  onBehalfOf?: string | null;
}

/** A snapshot as stored: a JSON document without secret-named keys (`redactSecrets`), or null. BigInts become strings. */
export const auditSnapshot = (row: unknown): string | null =>
  row == null ? null : JSON.stringify(redactSecrets(row), (_key, value) => (typeof value === "bigint" ? value.toString() : value));

/**
 * The audit trail's writer: one `AuditEvent` row per domain event, inserted by the mutation pipeline inside the
 * change's own transaction, so the change and its audit row commit together or not at all (a failing insert rolls
 * the change back). Stores the tenant, the actor (kind, id, label, on whose behalf; "system" when there is none),
 * the action and event type, the entity, the before and after snapshots with secret-named keys removed, the
 * request id, client IP and user agent, and `changedAt` = the event's `occurredAt` (which picks the monthly
 * partition; a month without one lands in the DEFAULT partition rather than failing).
 */
export const auditHook: TransactionalHook = {
  name: "audit",
  async run(tx: TenantTx, event: DomainEvent, ctx: Context) {
    const actor = (event.actor ?? null) as EventActorLike | null;
    await tx.$executeRaw`
      INSERT INTO "AuditEvent" ("id", "tenantId", "changedAt", "actorKind", "actorId", "actorLabel", "onBehalfOf",
        "action", "eventType", "entityType", "entityId", "before", "after", "requestId", "ip", "userAgent")
      VALUES (${event.id}::uuid, ${event.tenantId}::uuid, (${event.occurredAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'),
        ${actor?.kind ?? "system"}, ${actor?.id ?? null}, ${actor?.label ?? null}, ${actor?.onBehalfOf ?? null},
        ${event.action}, ${event.type}, ${event.entityType}, ${event.entityId},
        ${auditSnapshot(event.before)}::jsonb, ${auditSnapshot(event.after)}::jsonb,
        ${event.requestId}, ${ctx.ip}, ${ctx.userAgent?.slice(0, 512) ?? null})`;
  },
};

/**
 * Registered once, when this module is first imported (the schema's audit module imports it, so every process that
 * serves mutations writes audit rows). Calling it removes the hook: for benchmarks that measure its cost only.
 */
export let unregisterAuditHook = registerTransactionalHook(auditHook);

/** Puts the hook back after `unregisterAuditHook` (benchmarks). Idempotent. */
export function reregisterAuditHook(): void {
  unregisterAuditHook();
  unregisterAuditHook = registerTransactionalHook(auditHook);
}
