import { z } from "zod";
import { tenantOwned } from "../db/tenancy.ts";
import { capabilities, capabilityColumn } from "../domain/capabilities.ts";
import { version } from "../domain/validation.ts";
import { versioned, versionedUpdate } from "../domain/versioned.ts";
import { runMutation } from "../events/pipeline.ts";
import type { TenantConfig } from "../generated/prisma/client.ts";
import { defaultConfig } from "../domain/tenants.ts";
import { builder } from "./builder.ts";
import { describedEnum, payloadType, whereId } from "./common.ts";
import { TenantStatus } from "../generated/prisma/enums.ts";

export const TenantStatusEnum = describedEnum("TenantStatus", "Whether a tenant may use the platform.", TenantStatus, {
  active: "In use.",
  suspended: "Suspended: its users and keys are refused.",
});

const TenantCapabilities = builder.objectRef<TenantConfig>("TenantCapabilities").implement({
  description: "Which entity kinds the tenant uses. A capability that is off makes its fields answer FORBIDDEN.",
  fields: (t) => ({
    jobs: t.exposeBoolean(capabilityColumn.jobs, { description: "New-construction jobs." }),
    bids: t.exposeBoolean(capabilityColumn.bids, { description: "Bids to builders." }),
    serviceCalls: t.exposeBoolean(capabilityColumn.serviceCalls, { description: "Residential service calls." }),
    marketing: t.exposeBoolean(capabilityColumn.marketing, { description: "Marketing posts." }),
  }),
});

export const TenantConfigRef = builder.prismaObject("TenantConfig", {
  description: "A tenant's configuration: capabilities, limits and settings. Readable by everyone in the tenant.",
  authScopes: { can: "tenant:read" },
  fields: (t) => ({
    capabilities: t.field({ type: TenantCapabilities, description: "Which entity kinds the tenant uses.", resolve: (c) => c }),
    rateLimitPerMinute: t.exposeInt("rateLimitPerMinute", { description: "Requests per minute a user of the tenant may make." }),
    apiKeyRateLimitPerMinute: t.exposeInt("apiKeyRateLimitPerMinute", { description: "Requests per minute an API key of the tenant may make." }),
    queryCostBudget: t.exposeInt("queryCostBudget", {
      description: "Cost points in the bucket of each user of the tenant and of each API key, when full (`extensions.cost.throttleStatus.maximumAvailable`).",
    }),
    queryCostRestoreRate: t.exposeInt("queryCostRestoreRate", {
      description: "Cost points a bucket regains per second (`extensions.cost.throttleStatus.restoreRate`).",
    }),
    auditRetentionDays: t.exposeInt("auditRetentionDays", { description: "Days audit rows are kept before they are archived." }),
    webhooksEnabled: t.exposeBoolean("webhooksEnabled", { description: "Whether outbound webhooks are delivered for the tenant." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion` to update." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the configuration last changed." }),
  }),
});

builder.prismaNode("Tenant", {
  description: "A company operating on the platform. What it may do is its configuration, not code.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { can: "tenant:read" },
  fields: (t) => ({
    slug: t.exposeString("slug", { description: "Stable, URL-safe handle." }),
    name: t.exposeString("name", { description: "Display name." }),
    timezone: t.exposeString("timezone", { description: "IANA time zone the tenant works in." }),
    status: t.expose("status", { type: TenantStatusEnum, description: "Whether the tenant may use the platform." }),
    config: t.field({
      type: TenantConfigRef,
      description: "Capabilities, limits and settings.",
      select: { config: true },
      resolve: (tenant) => tenant.config ?? defaultConfig(tenant.id),
    }),
  }),
});

builder.queryField("tenant", (t) =>
  t.prismaField({
    type: "Tenant",
    nullable: true,
    description: "The tenant the caller acts for, with its configuration.",
    authScopes: { can: "tenant:read" },
    resolve: (query, _root, _args, ctx) => ctx.db.tenant.findFirst(query),
  }),
);

const CapabilitiesInput = builder.inputType("TenantCapabilitiesInput", {
  description: "Capabilities to switch; omitted ones keep their value.",
  fields: (t) => ({
    jobs: t.boolean({ description: "New-construction jobs." }),
    bids: t.boolean({ description: "Bids to builders." }),
    serviceCalls: t.boolean({ description: "Residential service calls." }),
    marketing: t.boolean({ description: "Marketing posts." }),
  }),
});

const UpdateTenantConfigInput = builder.inputType("UpdateTenantConfigInput", {
  description: "Changes to the acting tenant's configuration; omitted fields keep their value.",
  fields: (t) => ({
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    capabilities: t.field({ type: CapabilitiesInput, description: "Capabilities to switch." }),
    rateLimitPerMinute: t.int({ description: "Requests per minute per user.", validate: { schema: z.number().int().min(1).max(100_000) } }),
    apiKeyRateLimitPerMinute: t.int({ description: "Requests per minute per API key.", validate: { schema: z.number().int().min(1).max(100_000) } }),
    queryCostBudget: t.int({ description: "Cost points per bucket when full (1000 to 100000000).", validate: { schema: z.number().int().min(1_000).max(100_000_000) } }),
    queryCostRestoreRate: t.int({ description: "Cost points a bucket regains per second (1 to 10000000).", validate: { schema: z.number().int().min(1).max(10_000_000) } }),
    auditRetentionDays: t.int({ description: "Days audit rows are kept (30 to 3650).", validate: { schema: z.number().int().min(30).max(3650) } }),
    webhooksEnabled: t.boolean({ description: "Whether outbound webhooks are delivered." }),
  }),
});

builder.mutationField("updateTenantConfig", (t) =>
  t.field({
    type: payloadType("UpdateTenantConfigPayload", "tenantConfig", TenantConfigRef, "configuration"),
    description: "Changes the acting tenant's capabilities, limits and settings.",
    authScopes: { can: "tenant:configure" },
    args: { input: t.arg({ type: UpdateTenantConfigInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "tenant_config", action: "updated" }, async (tx) => {
        const current = (await tx.tenantConfig.findFirst()) ?? (await tx.tenantConfig.create({ data: tenantOwned({}) }));
        const data: Record<string, unknown> = {};
        for (const c of capabilities) if (input.capabilities?.[c] != null) data[capabilityColumn[c]] = input.capabilities[c];
        for (const k of ["rateLimitPerMinute", "apiKeyRateLimitPerMinute", "queryCostBudget", "queryCostRestoreRate", "auditRetentionDays", "webhooksEnabled"] as const)
          if (input[k] != null) data[k] = input[k];
        const { before, after } = await versionedUpdate(versioned(tx, "tenantConfig"), "tenant configuration", current.id, input.expectedVersion, data);
        return { result: { tenantConfig: after }, entityId: after.id, before, after };
      }),
  }),
);
