import type { Prisma } from "./client.ts";
import { appSettings, withoutSettings, withSettings } from "./session-settings.ts";

export { APP_ROLE } from "./session-settings.ts";

/**
 * Row-level security, the second wall of tenant isolation: the one way to run as a tenant. Every operation of the
 * returned client (model operations and raw SQL alike) runs as APP_ROLE with `app.tenant_id` set to `tenantId`
 * (empty when null: no tenant's rows), so the database itself hides other tenants' rows, whatever the query says.
 *
 * The settings cost no statement of their own: the connection the operation gets from the pool is switched at
 * session level only when it does not already carry them (db/settings-pool.ts), so a warm request of a tenant whose
 * connections are pooled sends its queries and nothing else. Guarantee: no statement ever runs with settings other
 * than those of the client that started it (a request's: APP_ROLE and its tenant; the process's root client: the
 * system's); connections keep their settings between requests, never across works with other settings.
 */
export function rowLevelSecurity(prisma: Prisma, tenantId: string | null) {
  const settings = appSettings(tenantId);
  return prisma.$extends({
    name: "row-level-security",
    query: {
      $allOperations({ args, query }) {
        return withSettings(settings, () => new Promise((resolve, reject) => void query(args).then(resolve, reject)));
      },
    },
  });
}

/** A client whose `$transaction` takes a callback: the root client, or a request's tenant-scoped one. */
interface TransactionDb<Tx> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R>;
}

/**
 * One interactive transaction as APP_ROLE with `app.tenant_id` = `tenantId`: its connection is switched (if it has
 * to be) before BEGIN. `fn` itself runs outside the tenant's scope, so the operations it starts on another client
 * (the root client: system work) keep their own settings; those on `tx` run in the transaction.
 */
export function tenantTransaction<Tx, R>(db: TransactionDb<Tx>, tenantId: string, fn: (tx: Tx) => Promise<R>, options?: { timeout?: number }): Promise<R> {
  return withSettings(appSettings(tenantId), () => db.$transaction((tx) => withoutSettings(() => fn(tx)), options));
}
