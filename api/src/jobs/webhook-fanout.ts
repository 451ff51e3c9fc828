import type { Task } from "graphile-worker";
import { z } from "zod";
import { withTenantTx } from "../webhooks/store.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

export const fanoutPayload = z.object({ tenantId: z.uuid(), messageId: z.uuid() });

/**
 * `webhook.fanout` (Svix): hands one outbox message to Svix, which fans it out to the subscribed endpoints itself.
 * One idempotent send (the event id is the idempotency key); a re-run after a crash sends nothing new. Built-in
 * delivery has no such job: the outbox fans out in the mutation's transaction (webhooks/outbox.ts).
 */
export function fanoutTask({ prisma, deliverer }: WebhookWorkerDeps): Task {
  return async (raw) => {
    const { tenantId, messageId } = fanoutPayload.parse(raw);
    if (!deliverer.fansOut) throw new Error("webhook.fanout runs with the Svix deliverer only (SVIX_API_KEY was unset when the worker started)");
    const message = await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.findFirst({ where: { id: messageId, tenantId } }));
    if (!message || message.providerMessageId) return; // deleted with its tenant, or already sent
    const sent = await deliverer.send({ id: message.id, tenantId, eventType: message.eventType, payload: message.payload });
    const providerMessageId = sent.via === "svix" ? sent.providerMessageId : null;
    await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.updateMany({ where: { id: messageId, tenantId }, data: { providerMessageId, fannedOutAt: new Date() } }));
  };
}
