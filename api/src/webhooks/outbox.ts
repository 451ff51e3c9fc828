import { createHash } from "node:crypto";
import type { DomainEvent } from "../events/domain-event.ts";
import type { TransactionalHook } from "../events/pipeline.ts";
import type { SystemWrites } from "../events/system-writes.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { catalogTypesFor, PAYLOAD_VERSION, TEST_EVENT_TYPE } from "./catalog.ts";
import { payloadData, referenceData } from "./catalog-schemas.ts";
import { createEnvelope, serializeEnvelope, WebhookPayloadTooLargeError } from "./envelope.ts";
import { maxPayloadBytes, usesSvix } from "./runtime.ts";
import { webhookFanoutJob } from "../jobs/definitions.ts";
import { tracing } from "../telemetry/hooks.ts";

/**
 * The transactional outbox. For each catalog type a domain event is sent as (see `catalogTypesFor`), it writes the
 * WebhookMessage (the serialized, signed-as-is envelope, not yet fanned out) in the mutation's own transaction (with
 * the other system writes, in one statement: events/system-writes.ts), and
 * with it a `webhook.fanout` job per message that sends it on (jobs/webhook-fanout.ts: built-in delivery creates the
 * message's deliveries and wakes the endpoints' drains; Svix gets the message). All of it commits with the change or
 * none does, and a crash after the commit loses nothing (the jobs are in the database). Per-endpoint order does not
 * depend on which fan-out job runs first: the drains hold back what comes after a message not yet fanned out
 * (webhooks/fanout-barrier.ts). A payload over WEBHOOK_MAX_PAYLOAD_BYTES is sent as a reference (`truncated: true`).
 * `data` is the entity in the API's vocabulary (catalog-schemas.ts `payloadData`), computed once per event from its rows.
 * Nothing is written when the tenant switched webhooks off.
 */
export const webhookOutbox: TransactionalHook = {
  name: "webhook-outbox",
  async run(_tx, event, ctx, writes) {
    if (ctx.tenant?.config.webhooksEnabled === false) return;
    await writeMessages(writes, event);
  },
};

/** Adds the event's messages and their fan-out jobs to the change's system writes; returns the message ids. */
export async function writeMessages(writes: SystemWrites, event: DomainEvent): Promise<string[]> {
  const test = event.type === TEST_EVENT_TYPE;
  const types = test ? [TEST_EVENT_TYPE] : catalogTypesFor(event);
  const ids: string[] = [];
  const data = types.length ? await payloadData(event) : null;
  for (const type of types) {
    // the event's own id for its own type (a message chosen by the change, for a test); a stable derived id for an alias
    const id = test ? event.entityId : type === event.type ? event.id : derivedId(event.id, type);
    const payload = serialize(id, type, event, data);
    const targetEndpointId = test ? (event.after as { endpointId: string }).endpointId : null;
    writes.messages.push({ id, tenantId: event.tenantId, eventType: type, payload, occurredAt: event.occurredAt.toISOString(), targetEndpointId });
    ids.push(id);
  }
  // with tracing on, the fan-out continues the mutation's trace (telemetry/tracing.ts)
  const traceparent = tracing.traceparent?.();
  writes.jobs.push(...ids.map((id) => webhookFanoutJob.jobs.of({ tenantId: event.tenantId, messageId: id, traceparent }, usesSvix())));
  return ids;
}

function serialize(id: string, type: string, event: DomainEvent, data: unknown): string {
  const tenantId = encodeGlobalID("Tenant", event.tenantId);
  const envelope = (data: unknown) => createEnvelope({ id, type, version: PAYLOAD_VERSION, tenantId, timestamp: event.occurredAt, data, redact: false });
  try {
    return serializeEnvelope(envelope(data), maxPayloadBytes());
  } catch (err) {
    if (!(err instanceof WebhookPayloadTooLargeError)) throw err;
    return serializeEnvelope(envelope(referenceData(event)), maxPayloadBytes());
  }
}

/** A UUID derived from the event id and a type: the same event always gets the same message id for that type. */
function derivedId(eventId: string, type: string): string {
  const h = createHash("sha256").update(`${eventId}:${type}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
