import { AsyncLocalStorage } from "node:async_hooks";

/** The database role request-scoped statements run as: it cannot bypass row-level security (see the identity migration). */
export const APP_ROLE = "h2o_app";

/**
 * The session settings a statement must run with: a request's (APP_ROLE with its tenant, or with no tenant at all:
 * then it sees no tenant's rows) or the system's (the connection's own role, no tenant).
 */
export interface SessionSettings {
  /** Equal keys mean equal settings: what a pooled connection is tagged with. */
  readonly key: string;
  /** The one statement that switches a connection to these settings, at session level. */
  readonly sql: string;
  readonly values: readonly string[];
}

/** What a new connection has and what every statement outside a request's client runs with. */
export const SYSTEM: SessionSettings = {
  key: "system",
  sql: "SELECT set_config('role', 'none', false), set_config('app.tenant_id', '', false)",
  values: [],
};

const tenants = new Map<string, SessionSettings>();

/** A request's settings: APP_ROLE with `app.tenant_id` set to the tenant (empty: no tenant's rows). */
export function appSettings(tenantId: string | null): SessionSettings {
  const id = tenantId ?? "";
  let settings = tenants.get(id);
  if (!settings) {
    if (tenants.size >= 10_000) tenants.clear();
    settings = {
      key: `app:${id}`,
      sql: `SELECT set_config('role', '${APP_ROLE}', false), set_config('app.tenant_id', $1, false)`,
      values: [id],
    };
    tenants.set(id, settings);
  }
  return settings;
}

const scope = new AsyncLocalStorage<SessionSettings>();

/** The settings the work running now needs: the innermost `withSettings`, else the system's. */
export const currentSettings = (): SessionSettings => scope.getStore() ?? SYSTEM;

/**
 * Runs `start` (which starts ONE Prisma operation or transaction) with `settings`: the pool (db/settings-pool.ts)
 * reads them when that operation checks out a connection. Callers keep the scope to the start of database work:
 * code that runs inside it decides the settings of every operation it starts.
 */
export function withSettings<T>(settings: SessionSettings, start: () => T): T {
  return scope.run(settings, start);
}

/** Runs `fn` outside every `withSettings` scope: what it starts runs as the system unless it says otherwise. */
export function withoutSettings<T>(fn: () => T): T {
  return scope.exit(fn);
}
