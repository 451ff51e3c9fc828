import { AsyncLocalStorage } from "node:async_hooks";
import type { Prisma } from "./client.ts";
import type { Prisma as Generated } from "../generated/prisma/client.ts";

/** The database role request-scoped statements run as: it cannot bypass row-level security (see the identity migration). */
export const APP_ROLE = "h2o_app";

const inTenantTransaction = new AsyncLocalStorage<string | null>();

/**
 * Row-level security, the second wall of tenant isolation. Every model operation of the returned client runs as
 * APP_ROLE with `app.tenant_id` set for its transaction, so the database itself hides other tenants' rows, whatever
 * the query says: a single operation becomes a short batch transaction (set role and tenant, then the query);
 * inside `tenantTransaction` the transaction's start has already done that, and operations run as they are.
 */
export function rowLevelSecurity(prisma: Prisma, tenantId: string | null) {
  return prisma.$extends({
    name: "row-level-security",
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          if (inTenantTransaction.getStore() !== undefined) return query(args);
          return asTenant(prisma, tenantId, query(args));
        },
      },
    },
  });
}

/**
 * Runs one statement as APP_ROLE with the tenant set: a short batch transaction (set role and tenant, then the
 * statement). What the client above does for every model operation; raw statements of a request call it themselves.
 */
export async function asTenant<T>(db: BatchDb, tenantId: string | null, statement: Generated.PrismaPromise<T>): Promise<T> {
  const [, result] = await db.$transaction([enterTenant(db, tenantId), statement]);
  return result as T;
}

/** A client that runs statements as one batch transaction: the root client, or a request's tenant-scoped one. */
type BatchDb = Pick<Prisma, "$executeRaw"> & { $transaction(statements: Generated.PrismaPromise<unknown>[]): Promise<unknown[]> };

/** The statement that switches the current transaction to APP_ROLE and the tenant (empty: no tenant's rows). */
export const enterTenant = (db: Pick<Prisma, "$executeRaw">, tenantId: string | null) =>
  db.$executeRaw`SELECT set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${tenantId ?? ""}, true)`;

/** Back to the connection's own role for the rest of the transaction (trusted system writes: audit, outbox). */
export const leaveAppRole = (db: Pick<Prisma, "$executeRaw">) => db.$executeRaw`SELECT set_config('role', 'none', true)`;

/**
 * Runs `fn`, which opens one interactive transaction and calls `enterTenant` first thing in it, so that the
 * operations inside are not wrapped again.
 */
export function tenantTransaction<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
  return inTenantTransaction.run(tenantId, fn);
}
