import { tenantScoped } from "../db/tenancy.ts";
import { endpointConfig } from "../webhooks/endpoint-secrets.ts";
import type { JobHandler } from "./queue.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

/**
 * `webhook.sync_endpoint` (Svix): mirrors one endpoint as it is now in our database (the source of truth) to Svix:
 * upsert, or delete when it is gone; after a rotation, makes the new secret Svix's current one (the old one keeps
 * verifying until it expires). Idempotent; runs in the tenant's Svix queue, before the tenant's later sends.
 */
export function syncEndpointHandler({ prisma, deliverer, settings }: WebhookWorkerDeps): JobHandler<{ tenantId: string; endpointId: string; rotate: boolean }> {
  return async ({ tenantId, endpointId, rotate }) => {
    // as the tenant, under row-level security (db/tenancy.ts)
    const row = await tenantScoped(prisma, tenantId).webhookEndpoint.findFirst({ where: { id: endpointId } });
    if (!row) return deliverer.deleteEndpoint(tenantId, endpointId);
    const endpoint = endpointConfig(settings.box, row);
    await deliverer.upsertEndpoint(endpoint);
    if (rotate) await deliverer.rotateSecret(endpoint);
  };
}
