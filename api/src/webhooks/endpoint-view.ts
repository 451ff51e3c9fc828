import type { WebhookEndpoint } from "../generated/prisma/client.ts";

/** What events, audit and pubsub carry of an endpoint: everything but its secrets. */
export function endpointView(row: WebhookEndpoint) {
  const { secrets: _secrets, tenantId: _tenantId, ...view } = row;
  return view;
}
