import type { Logger } from "pino";
import { prisma } from "./db/client.ts";
import { tenantScoped, type TenantDb } from "./db/tenancy.ts";
import { findActingTenant, type ActingTenant } from "./domain/tenants.ts";
import type { Env } from "./env.ts";
import { AppError, ErrorCode } from "./errors.ts";

/**
 * What every resolver knows about the call, built once per HTTP request or per WebSocket connection by
 * `createContext` (one path for both). Later layers (identity) add to it here, never in resolvers.
 */
export interface Context {
  requestId: string;
  log: Logger;
  ip: string | null;
  userAgent: string | null;
  /** The tenant the caller acts for, with its configuration; null when it acts for none. */
  tenant: ActingTenant | null;
  /**
   * The Prisma client confined to `tenant` (db/tenancy.ts): the one exception to "the Prisma client is imported,
   * not carried on the context", because the tenant scope is per request. Pothos (plugin-prisma) and the mutation
   * pipeline use it; resolvers never add `tenantId` themselves. Without a tenant, tenant-scoped models throw.
   */
  db: TenantDb;
}

export interface ContextInput {
  requestId: string;
  log: Logger;
  headers: Headers;
  ip: string | null;
  env: Pick<Env, "isProduction">;
}

/**
 * Development-only way to pick the acting tenant until authentication exists: `X-Dev-Tenant: <slug or id>`.
 * Ignored in production. Authentication replaces this function's body, and nothing else changes.
 */
export const DEV_TENANT_HEADER = "x-dev-tenant";

export async function createContext(input: ContextInput): Promise<Context> {
  const tenant = await resolveTenant(input);
  return {
    requestId: input.requestId,
    log: input.log,
    ip: input.ip,
    userAgent: input.headers.get("user-agent"),
    tenant,
    db: tenantScoped(prisma, tenant?.id ?? null),
  };
}

async function resolveTenant({ headers, env }: ContextInput): Promise<ActingTenant | null> {
  const requested = headers.get(DEV_TENANT_HEADER);
  if (env.isProduction || !requested) return null;
  const tenant = await findActingTenant(prisma, requested);
  if (!tenant) throw new AppError(ErrorCode.UNAUTHENTICATED, `unknown or inactive tenant in ${DEV_TENANT_HEADER}`);
  return tenant;
}
