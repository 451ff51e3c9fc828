import type { Context } from "../context.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import type { TenantTx, TransactionalHook } from "../events/pipeline.ts";
import type { SystemWrites } from "../events/system-writes.ts";
import { redactSecrets } from "../webhooks/envelope.ts";

/** The actor as the identity layer records it on the event (`actorOf(ctx)`); older shapes carry only kind and id. */
interface EventActorLike {
  kind?: string | null;
  id?: string | null;
  label?: string | null;
  onBehalfOf?: string | null;
}

/**
 * The audit trail's writer: one `AuditEvent` row per domain event, appended by the mutation pipeline inside the
 * change's own transaction (with the other system writes, in one statement: events/system-writes.ts), so the change
 * and its audit row commit together or not at all (a failing insert rolls the change back). Stores the tenant, the actor (kind, id, label, on whose behalf; "system" when there is none),
 * the action and event type, the entity, the before and after snapshots with secret-named keys removed (BigInts as strings), the
 * request id, client IP and user agent, and `changedAt` = the event's `occurredAt` (which picks the monthly
 * partition; a month without one lands in the DEFAULT partition rather than failing).
 */
export const auditHook: TransactionalHook = {
  name: "audit",
  run(_tx: TenantTx, event: DomainEvent, ctx: Context, writes: SystemWrites) {
    const actor = (event.actor ?? null) as EventActorLike | null;
    writes.audit.push({
      id: event.id,
      tenantId: event.tenantId,
      changedAt: event.occurredAt.toISOString(),
      actorKind: actor?.kind ?? "system",
      actorId: actor?.id ?? null,
      actorLabel: actor?.label ?? null,
      onBehalfOf: actor?.onBehalfOf ?? null,
      action: event.action,
      eventType: event.type,
      entityType: event.entityType,
      entityId: event.entityId,
      before: event.before == null ? null : redactSecrets(event.before),
      after: event.after == null ? null : redactSecrets(event.after),
      requestId: event.requestId,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    });
  },
};
