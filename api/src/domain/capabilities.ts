import type { TenantConfig } from "../generated/prisma/client.ts";

/**
 * The entity kinds a tenant may use. Which ones a tenant has is its configuration (TenantConfig), never code:
 * a capability that is off makes the matching fields answer FORBIDDEN for that tenant.
 */
export const capabilities = ["jobs", "bids", "serviceCalls", "marketing"] as const;
export type Capability = (typeof capabilities)[number];

/** The TenantConfig column that switches each capability. */
export const capabilityColumn = {
  jobs: "jobsEnabled",
  bids: "bidsEnabled",
  serviceCalls: "serviceCallsEnabled",
  marketing: "marketingEnabled",
} as const satisfies Record<Capability, keyof TenantConfig>;

export const hasCapability = (config: TenantConfig | null | undefined, capability: Capability): boolean =>
  !!config?.[capabilityColumn[capability]];
