import { versioned, versionedUpdate } from "../domain/versioned.ts";
import type { ChangeOutcome, TenantTx } from "../events/pipeline.ts";
import type { WebhookEndpoint } from "../generated/prisma/client.ts";
import { usesSvix } from "./runtime.ts";
import { webhookDeliverJob, webhookSyncEndpointJob } from "../jobs/definitions.ts";
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
  // the versioned update of every entity (domain/versioned.ts); no expectedVersion: the version it has now
  const { before, after } = await versionedUpdate(versioned(tx, "webhookEndpoint"), "webhook endpoint", id, options.expectedVersion, data);
  if (usesSvix()) await enqueueJobs(tx, [webhookSyncEndpointJob.jobs.of(after.tenantId, id, options.rotate)]);
  return { result: { endpoint: after }, row: after, entityId: id, before: endpointView(before), after: endpointView(after), eventType: options.eventType };
}

/** Disables an endpoint (an admin's request, or the worker after days of failures): `webhook_endpoint.disabled`. */
export function disableEndpoint(tx: TenantTx, id: string, reason: string, expectedVersion?: number) {
  return changeEndpoint(tx, id, { disabled: true, disabledReason: reason }, { expectedVersion, eventType: "webhook_endpoint.disabled" });
}

/** Enables an endpoint (`webhook_endpoint.enabled`) and wakes its drain: its pending deliveries resume, oldest event first. */
export async function enableEndpoint(tx: TenantTx, id: string) {
  const outcome = await changeEndpoint(tx, id, { disabled: false, disabledReason: null, failingSince: null }, { eventType: "webhook_endpoint.enabled" });
  await enqueueJobs(tx, [webhookDeliverJob.jobs.now(outcome.row.tenantId, outcome.entityId)]);
  return outcome;
}
