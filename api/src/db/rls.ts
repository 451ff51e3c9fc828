/**
 * Running work as a tenant or as the system: the one place that says which is which.
 *
 * As a tenant (APP_ROLE, `app.tenant_id` set, row-level security in force): every request's reads and writes, through
 * its context's client (`tenantScoped` in db/tenancy.ts, built on `rowLevelSecurity` below) or a mutation's
 * transaction (`tenantTransaction` below, used by events/pipeline.ts `runMutation`); the boards' SQL reads
 * (db/sql-read.ts) with the same settings; and the worker's work for one tenant wherever it goes through Prisma
 * (webhook fan-out to Svix and endpoint mirroring, marketing publishes), through the same `tenantScoped` client or
 * `tenantTransaction`.
 *
 * As the system (the connection's own role, no tenant), trusted because they write only what their statements name:
 * - `h2o_record_change`, `h2o_enqueue_jobs`, `h2o_remove_jobs` (SECURITY DEFINER functions called from a tenant's
 *   transaction): the audit row, outbox message and worker jobs of a change, appended with their owner's rights
 *   while the transaction keeps the application role; the functions check each row's tenant against the setting;
 * - the worker's built-in webhook fan-out and endpoint drains (jobs/webhook-fanout.ts, webhooks/endpoint-lock.ts,
 *   webhooks/drain-line.ts, webhooks/attempt-log.ts): hand-written statements on the worker's own connection, each
 *   naming the tenant and the rows by id, in as few round trips as ordering allows (one lock-and-settings statement,
 *   prepared statements); switching roles there would cost a round trip per drain;
 * - authentication and the principal cache (auth/), which read users, memberships and keys before any tenant is
 *   known; audit partition upkeep and archival (audit/), which span tenants by design (each tenant's retention is
 *   read as that tenant, through `asTenantOn` below);
 * - the CLI, seed and migrations.
 */
import type { Prisma } from "./client.ts";
import { APP_ROLE, appSettings, withoutSettings, withSettings } from "./session-settings.ts";
import { pinnedTransaction } from "./settings-pool.ts";
import { readScopeOf } from "./sql-read.ts";

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

/** How long a tenant transaction may run before it is rolled back (Prisma's interactive transactions' default). */
const DEFAULT_TRANSACTION_TIMEOUT_MS = 5_000;

/**
 * One transaction as APP_ROLE with `app.tenant_id` = `tenantId`: its connection is switched (if it has to be) before
 * BEGIN. `fn` itself runs outside the tenant's scope, so the operations it starts on another client (the root
 * client: system work) keep their own settings; those on `tx` run in the transaction.
 * For a tenant-scoped client of this tenant (db/tenancy.ts `tenantScoped`, as every request's and the worker's), the
 * transaction is a plain pg one on a connection of the client's pool, and `tx` is `db` itself: while `fn` runs, its
 * operations go to that connection (db/settings-pool.ts `pinnedTransaction`), at a fraction of an interactive Prisma
 * transaction's cost; any other client gets Prisma's interactive transaction.
 */
export function tenantTransaction<Tx, R>(db: TransactionDb<Tx>, tenantId: string, fn: (tx: Tx) => Promise<R>, options?: { timeout?: number }): Promise<R> {
  const scope = readScopeOf(db);
  if (scope) {
    if (scope.tenantId !== tenantId) throw new Error("tenantTransaction: the client is scoped to another tenant");
    return pinnedTransaction(scope.pool(), appSettings(tenantId), () => withoutSettings(() => fn(db as unknown as Tx)), options?.timeout ?? DEFAULT_TRANSACTION_TIMEOUT_MS);
  }
  return withSettings(appSettings(tenantId), () => db.$transaction((tx) => withoutSettings(() => fn(tx)), options));
}

/** A plain pg connection (a worker job's, the CLI's), as `asTenantOn` uses it. */
interface Connection {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * `tenantTransaction` for work on a plain pg connection: `fn` runs in one transaction as APP_ROLE with
 * `app.tenant_id` = `tenantId` (both local to the transaction, so the connection is back to its own settings after
 * it, committed or not).
 */
export async function asTenantOn<R>(db: Connection, tenantId: string, fn: () => Promise<R>): Promise<R> {
  await db.query("BEGIN");
  try {
    await db.query(`SELECT set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', $1, true)`, [tenantId]);
    const result = await fn();
    await db.query("COMMIT");
    return result;
  } catch (err) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
