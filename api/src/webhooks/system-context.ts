import { randomUUID } from "node:crypto";
import type { Context } from "../context.ts";
import type { Prisma } from "../db/client.ts";
import { tenantScoped } from "../db/tenancy.ts";
import { findActingTenant } from "../domain/tenants.ts";
import { actions } from "../auth/permissions.ts";
import type { Logger } from "../logger.ts";
import { withTenantTx } from "./store.ts";

/**
 * The context of a change the system makes by itself (the worker disabling a failing endpoint), so that it goes
 * through `runMutation` like any other: one transaction, audit, outbox, pubsub. No principal: the actor is the
 * system. Null when the tenant is gone or inactive. Like context.ts's `systemContext`, but on the worker's own Prisma
 * client (the worker process never connects the global one).
 * TODO(identity): merge with context.ts's `systemContext` once it takes a Prisma client.
 */
export async function systemContext(prisma: Prisma, tenantId: string, log: Logger): Promise<Context | null> {
  const tenant = await withTenantTx(prisma, tenantId, (tx) => findActingTenant(tx as unknown as Prisma, tenantId));
  if (!tenant) return null;
  const requestId = `system-${randomUUID()}`;
  const ctx = {
    requestId,
    log: log.child({ requestId, system: true }),
    ip: null,
    userAgent: null,
    tenant,
    db: tenantScoped(prisma, tenant.id),
    principal: { kind: "system", name: "webhooks" },
    permissions: new Set(actions),
    authError: null,
    authExpiresAt: null,
    cookies: null,
  };
  return ctx as unknown as Context;
}
