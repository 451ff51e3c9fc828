import { staleVersion } from "../domain/versioned.ts";
import { notFound } from "../errors.ts";
import type { ChangeOutcome, TenantTx } from "../events/pipeline.ts";
import type { WebhookEndpoint } from "../generated/prisma/client.ts";
import { usesSvix } from "./runtime.ts";
import { webhookSyncEndpointJob } from "../jobs/definitions.ts";
import { enqueueJobs } from "../jobs/queue.ts";
import { endpointView } from "./endpoint-view.ts";

export type EndpointView = ReturnType<typeof endpointView>;

/**
 * Writes a change to one endpoint inside a mutation's transaction: bumps its version, mirrors it to Svix (a
 * `webhook.sync_endpoint` job in the same transaction) when Svix delivers, and reports before/after without secrets.
 * `expectedVersion`, when given, must match (CONFLICT otherwise, as every versioned entity).
 */
export async function changeEndpoint(
  tx: TenantTx,
  id: string,
  data: Partial<WebhookEndpoint> | ((before: WebhookEndpoint) => Partial<WebhookEndpoint>),
  options: { expectedVersion?: number; eventType?: string; rotate?: boolean } = {},
): Promise<ChangeOutcome<{ endpoint: WebhookEndpoint }, EndpointView> & { row: WebhookEndpoint }> {
  const before = await tx.webhookEndpoint.findUnique({ where: { id } });
  if (!before) throw notFound("webhook endpoint");
  if (options.expectedVersion !== undefined && options.expectedVersion !== before.version) throw staleVersion("webhook endpoint", before.version, options.expectedVersion);
  const patch = typeof data === "function" ? data(before) : data;
  const { count } = await tx.webhookEndpoint.updateMany({ where: { id, version: before.version }, data: { ...patch, version: { increment: 1 } } });
  if (count !== 1) {
    const current = await tx.webhookEndpoint.findUnique({ where: { id } });
    throw current ? staleVersion("webhook endpoint", current.version, before.version) : notFound("webhook endpoint");
  }
  const after = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
  if (usesSvix()) await enqueueJobs(tx, [webhookSyncEndpointJob.jobs.of(after.tenantId, id, options.rotate)]);
  return { result: { endpoint: after }, row: after, entityId: id, before: endpointView(before), after: endpointView(after), eventType: options.eventType };
}

/** Disables an endpoint (an admin's request, or the worker after days of failures): `webhook_endpoint.disabled`. */
export function disableEndpoint(tx: TenantTx, id: string, reason: string, expectedVersion?: number) {
  return changeEndpoint(tx, id, { disabled: true, disabledReason: reason }, { expectedVersion, eventType: "webhook_endpoint.disabled" });
}
