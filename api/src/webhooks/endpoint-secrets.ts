import type { WebhookEndpoint } from "../generated/prisma/client.ts";
import type { WebhookEndpointConfig } from "./deliverer.ts";
import type { SecretBox } from "./secret-box.ts";
import type { EndpointSecret } from "./signing.ts";

/** Seals an endpoint's secrets for its `secrets` column; the endpoint id is bound to the ciphertext. */
export function sealSecrets(box: SecretBox, endpointId: string, secrets: readonly EndpointSecret[]): string {
  return box.seal(JSON.stringify(secrets.map((s) => ({ secret: s.secret, expiresAt: s.expiresAt?.toISOString() ?? null }))), `webhook-endpoint:${endpointId}`);
}

export function openSecrets(box: SecretBox, row: Pick<WebhookEndpoint, "id" | "secrets">): EndpointSecret[] {
  const parsed = JSON.parse(box.open(row.secrets, `webhook-endpoint:${row.id}`)) as Array<{ secret: string; expiresAt: string | null }>;
  return parsed.map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ? new Date(s.expiresAt) : null }));
}

/** The deliverers' view of a stored endpoint (secrets decrypted: only ever in memory). */
export function endpointConfig(box: SecretBox, row: Pick<WebhookEndpoint, "id" | "tenantId" | "url" | "description" | "filterTypes" | "rateLimitPerSecond" | "disabled" | "secrets">): WebhookEndpointConfig {
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    description: row.description,
    filterTypes: row.filterTypes,
    rateLimitPerSecond: row.rateLimitPerSecond,
    disabled: row.disabled,
    secrets: openSecrets(box, row),
  };
}
