import { createHash } from "node:crypto";
import { tenantOwned } from "../db/tenancy.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import { registerTransactionalHook, type TenantTx, type TransactionalHook } from "../events/pipeline.ts";
import { catalogTypesFor, PAYLOAD_VERSION, payloadData, referenceData, TEST_EVENT_TYPE } from "./catalog.ts";
import { createEnvelope, serializeEnvelope, WebhookPayloadTooLargeError } from "./envelope.ts";
import { maxPayloadBytes, usesSvix } from "./runtime.ts";
import { endpointWantsEvent } from "./deliverer.ts";
import { enqueueJobs, webhookJobs } from "./store.ts";

/**
 * The transactional outbox. For each catalog type a domain event is sent as (see `catalogTypesFor`), it writes the
 * WebhookMessage (the serialized, signed-as-is envelope) in the mutation's own transaction, and with it what sends
 * the message on: built-in delivery, the message's deliveries and a drain job per endpoint ({@link fanOut}); Svix,
 * a `webhook.fanout` job that hands it to Svix. All of it commits with the change or none does, and a crash after
 * the commit loses nothing (the jobs are in the database). A payload over WEBHOOK_MAX_PAYLOAD_BYTES is sent as a
 * reference (`truncated: true`). Nothing is written when the tenant switched webhooks off.
 */
export const webhookOutbox: TransactionalHook = {
  name: "webhook-outbox",
  async run(tx, event, ctx) {
    if (ctx.tenant?.config.webhooksEnabled === false) return;
    await writeMessages(tx, event);
  },
};

export async function writeMessages(tx: TenantTx, event: DomainEvent): Promise<string[]> {
  const test = event.type === TEST_EVENT_TYPE;
  const types = test ? [TEST_EVENT_TYPE] : catalogTypesFor(event);
  const messages: OutboxMessage[] = [];
  for (const type of types) {
    // the event's own id for its own type (a message chosen by the change, for a test); a stable derived id for an alias
    const id = test ? event.entityId : type === event.type ? event.id : derivedId(event.id, type);
    const payload = serialize(id, type, event);
    const targetEndpointId = test ? (event.after as { endpointId: string }).endpointId : null;
    const fannedOutAt = usesSvix() ? null : event.occurredAt; // built-in: fanned out right below
    await tx.webhookMessage.create({ data: tenantOwned({ id, eventType: type, payload, occurredAt: event.occurredAt, targetEndpointId, fannedOutAt }) });
    messages.push({ id, eventType: type, occurredAt: event.occurredAt, targetEndpointId });
  }
  if (usesSvix()) await enqueueJobs(tx, messages.map((m) => webhookJobs.fanout(event.tenantId, m.id)));
  else await fanOut(tx, event.tenantId, messages);
  return messages.map((m) => m.id);
}

type OutboxMessage = { id: string; eventType: string; occurredAt: Date; targetEndpointId: string | null };

/**
 * Built-in delivery's fan-out, in the transaction that writes the messages: one WebhookDelivery per enabled endpoint
 * of the tenant subscribed to the message's type (the target endpoint only, for a test event), and one
 * `webhook.deliver` job per endpoint. Done here rather than by a later job, each endpoint's deliveries exist from
 * the commit of their event on: a drain that starts later can never find a newer event pending without an older one
 * (a separate fan-out job made that possible, and ordering then depended on which fan-out ran first).
 */
async function fanOut(tx: TenantTx, tenantId: string, messages: readonly OutboxMessage[]): Promise<void> {
  const endpoints = await tx.webhookEndpoint.findMany({ where: { disabled: false }, select: { id: true, disabled: true, filterTypes: true } });
  const deliveries = messages.flatMap((m) =>
    endpoints
      .filter((e) => (m.targetEndpointId ? e.id === m.targetEndpointId : endpointWantsEvent(e, m.eventType)))
      .map((e) => tenantOwned({ messageId: m.id, endpointId: e.id, nextAttemptAt: m.occurredAt })),
  );
  if (!deliveries.length) return;
  await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true });
  await enqueueJobs(tx, [...new Set(deliveries.map((d) => d.endpointId))].map((id) => webhookJobs.deliver(tenantId, id)));
}

function serialize(id: string, type: string, event: DomainEvent): string {
  const envelope = (data: unknown) => createEnvelope({ id, type, version: PAYLOAD_VERSION, tenantId: event.tenantId, timestamp: event.occurredAt, data });
  try {
    return serializeEnvelope(envelope(payloadData(event)), maxPayloadBytes());
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

let unregister: (() => void) | null = null;

/** Registers the outbox hook once per process (idempotent). */
export function registerWebhookOutbox(): void {
  unregister ??= registerTransactionalHook(webhookOutbox);
}
