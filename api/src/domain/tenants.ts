import type { Prisma } from "../db/client.ts";
import type { Tenant, TenantConfig } from "../generated/prisma/client.ts";

/** The tenant a request acts for, with its configuration (capabilities, limits), loaded once per request. */
export interface ActingTenant {
  id: string;
  slug: string;
  name: string;
  config: TenantConfig;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An active tenant by slug or id, with its configuration (an empty, all-off configuration when none is stored);
 * null when there is no such active tenant. One SQL statement.
 */
export async function findActingTenant(prisma: Prisma, slugOrId: string): Promise<ActingTenant | null> {
  const key = slugOrId.trim();
  if (!key || key.length > 100) return null;
  const tenant: (Tenant & { config: TenantConfig | null }) | null = await prisma.tenant.findFirst({
    where: { status: "active", ...(UUID.test(key) ? { id: key } : { slug: key }) },
    include: { config: true },
  });
  if (!tenant) return null;
  return { id: tenant.id, slug: tenant.slug, name: tenant.name, config: tenant.config ?? defaultConfig(tenant.id) };
}

/**
 * The query cost bucket of each user and API key of a tenant that keeps the default configuration, and of callers
 * acting for no tenant (anonymous ones by client address): 250,000 points, ten queries of the largest cost allowed
 * (QUERY_MAX_COST's default), regaining 25,000 a second (10 s from empty to full). The dashboard's jobs board column
 * of 25 cards costs about 650, its marketing screen about 6,500.
 */
export const DEFAULT_QUERY_COST_BUDGET = { maximum: 250_000, restoreRate: 25_000 } as const;

/** What a tenant without a stored configuration gets: every capability off, the documented defaults. */
export function defaultConfig(tenantId: string): TenantConfig {
  const now = new Date(0);
  return {
    id: tenantId,
    tenantId,
    jobsEnabled: false,
    bidsEnabled: false,
    serviceCallsEnabled: false,
    marketingEnabled: false,
    rateLimitPerMinute: 600,
    apiKeyRateLimitPerMinute: 300,
    queryCostBudget: DEFAULT_QUERY_COST_BUDGET.maximum,
    queryCostRestoreRate: DEFAULT_QUERY_COST_BUDGET.restoreRate,
    auditRetentionDays: 730,
    webhooksEnabled: true,
    webhookSettings: {},
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}
