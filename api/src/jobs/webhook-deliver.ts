import type { JobHelpers, Task } from "graphile-worker";
import { z } from "zod";
import { runMutation } from "../events/pipeline.ts";
import { disableEndpoint } from "../webhooks/endpoints.ts";
import { endpointConfig, webhookJobs, withTenantTx, type JobSpec } from "../webhooks/store.ts";
import { systemContext } from "../context.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

export const deliverPayload = z.object({ tenantId: z.uuid(), deliveryId: z.uuid() });

/** A job that finds its delivery due this much later than planned still runs now (clock skew, slow polling). */
const EARLY_SLACK_MS = 1_000;

/**
 * `webhook.deliver`: one attempt of one delivery (built-in deliverer). Guarantees:
 * - the attempt row, the delivery's new state (attempts, status, next attempt) and the endpoint's failure streak are
 *   written in one transaction after the attempt; a crash before it repeats the attempt with the same `webhook-id`;
 * - a retry is the same job again at `nextAttemptAt` (same job key, so duplicates collapse); `deferred` (the
 *   endpoint's rate or concurrency limit) runs again without consuming an attempt; after the last attempt the
 *   delivery is `failed`;
 * - a job that finds its delivery not due yet (it was already attempted: a crash after the commit) reschedules;
 * - an endpoint failing continuously for WEBHOOK_DISABLE_AFTER_MS is disabled through the mutation pipeline
 *   (`webhook_endpoint.disabled`), which notifies admins; its pending deliveries resume when it is enabled again.
 * Jobs run serially per endpoint (queue `webhook:<endpointId>`), oldest event first.
 */
export function deliverTask(deps: WebhookWorkerDeps): Task {
  const { prisma, deliverer, settings, log } = deps;
  return async (raw, helpers) => {
    const { tenantId, deliveryId } = deliverPayload.parse(raw);
    const delivery = await withTenantTx(prisma, tenantId, (tx) =>
      tx.webhookDelivery.findFirst({ where: { id: deliveryId, tenantId }, include: { endpoint: true, message: true } }),
    );
    if (!delivery || delivery.status !== "pending" || delivery.endpoint.disabled) return;
    const reschedule = (runAt: Date) => addJob(helpers, webhookJobs.deliver(tenantId, deliveryId, delivery.endpointId, runAt));
    if (delivery.nextAttemptAt && delivery.nextAttemptAt.getTime() > Date.now() + EARLY_SLACK_MS) return reschedule(delivery.nextAttemptAt);

    const attempt = delivery.attempts + 1;
    const { message } = delivery;
    const result = await deliverer.send(
      { id: message.id, tenantId, eventType: message.eventType, payload: message.payload },
      [{ endpoint: endpointConfig(settings.box, delivery.endpoint), attempt }],
    );
    if (result.via !== "builtin") throw new Error("webhook.deliver runs with the built-in deliverer only");
    const outcome = result.deliveries[0]!;
    if (outcome.status === "deferred") return reschedule(outcome.nextAttemptAt!);

    const record = outcome.record!;
    const status = outcome.status === "succeeded" ? "succeeded" : outcome.status === "failed" ? "failed" : "pending";
    const failingSince = await withTenantTx(prisma, tenantId, async (tx) => {
      await tx.webhookAttempt.create({
        data: {
          tenantId, deliveryId, messageId: message.id, endpointId: delivery.endpointId, attempt, startedAt: record.startedAt,
          latencyMs: record.latencyMs, statusCode: record.statusCode, responseBodyExcerpt: record.responseBodyExcerpt, error: record.error, success: record.success,
        },
      });
      await tx.webhookDelivery.update({
        where: { id: deliveryId },
        data: { status, attempts: attempt, nextAttemptAt: outcome.nextAttemptAt, lastAttemptAt: record.startedAt, lastStatusCode: record.statusCode, lastError: record.error },
      });
      const where = { id: delivery.endpointId, tenantId };
      if (record.success) {
        await tx.webhookEndpoint.updateMany({ where: { ...where, failingSince: { not: null } }, data: { failingSince: null } });
        return null;
      }
      await tx.webhookEndpoint.updateMany({ where: { ...where, failingSince: null }, data: { failingSince: record.startedAt } });
      return (await tx.webhookEndpoint.findFirst({ where, select: { failingSince: true } }))?.failingSince ?? null;
    });
    if (outcome.status === "retrying") await reschedule(outcome.nextAttemptAt!);
    if (failingSince && Date.now() - failingSince.getTime() >= settings.disableAfterMs) {
      const ctx = await systemContext(tenantId, "webhooks", log, deps.services, prisma);
      if (!ctx) return;
      const days = Math.round(settings.disableAfterMs / 86_400_000);
      await runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, (tx) =>
        disableEndpoint(tx, delivery.endpointId, `deliveries failed continuously since ${failingSince.toISOString()} (${days} days or more)`),
      );
      log.warn({ tenantId, endpointId: delivery.endpointId, failingSince }, "webhook endpoint disabled after failing continuously");
    }
  };
}

/** Enqueues a job through the running job's helpers (its own connection; jobs with the same key collapse). */
export function addJob(helpers: JobHelpers, spec: JobSpec): Promise<void> {
  return helpers
    .addJob(spec.identifier, spec.payload, { jobKey: spec.jobKey ?? undefined, queueName: spec.queueName ?? undefined, runAt: spec.runAt ?? undefined, maxAttempts: spec.maxAttempts ?? 25 })
    .then(() => undefined);
}
