import v8 from "node:v8";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Env } from "../env.ts";
import { keepSettingsThroughBatching } from "./prisma-batching.ts";
import { SettingsPool } from "./settings-pool.ts";

// Prisma's query compiler is WebAssembly (3.4 MB), compiled when the first query runs. V8 compiles it with its
// baseline compiler (Liftoff) and then again, function by function as they get hot, with its optimizing one
// (TurboFan), which costs about 40 MiB of resident memory per process. The compiler runs only when a query shape is new
// (Prisma caches each shape's plan), never on a warm request, so baseline code is all it needs: the API's resident
// memory after its first requests drops from ~214 to ~171 MiB, with no change in the http bench. Set before the first
// client is made (V8 reads it when it compiles a module); it concerns WebAssembly only.
v8.setFlagsFromString("--liftoff-only");

export type PoolSettings = Pick<Env, "DB_POOL_MAX" | "DB_CONNECTION_TIMEOUT_MS" | "DB_IDLE_TIMEOUT_MS" | "DB_STATEMENT_TIMEOUT_MS">;

/** The pg pool settings, always explicit: never a library default left implicit. */
export function poolConfig(url: string, s: PoolSettings) {
  return {
    connectionString: url,
    max: s.DB_POOL_MAX,
    connectionTimeoutMillis: s.DB_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: s.DB_IDLE_TIMEOUT_MS,
    statement_timeout: s.DB_STATEMENT_TIMEOUT_MS || undefined,
    application_name: "h2o-acp",
  };
}

/** One SQL statement a Prisma client sent, with its bind parameters. */
export interface ObservedSql {
  sql: string;
  params: unknown[];
}

const sqlObservers = new Set<(statement: ObservedSql) => void>();

/**
 * Test instrumentation, off by default: while at least one observer is registered, clients created from then on
 * (by `createPrisma` / `connectDb`) report every SQL statement they send. Register before the app starts.
 * Returns the unregister function.
 */
export function observeSql(observer: (statement: ObservedSql) => void): () => void {
  sqlObservers.add(observer);
  return () => void sqlObservers.delete(observer);
}

/**
 * A Prisma client on its own pool of connections that carry session settings (db/settings-pool.ts): its
 * operations run as the system, those of a request's client (db/rls.ts) as the application role with the tenant.
 */
export function createPrisma(url: string, settings: PoolSettings) {
  const { adapter, pool } = settingsAdapter(url, settings);
  const observed = sqlObservers.size > 0;
  const client = observed ? new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] }) : new PrismaClient({ adapter });
  keepSettingsThroughBatching(client);
  if (observed) {
    (client as unknown as { $on(e: "query", cb: (e: { query: string; params: string }) => void): void }).$on("query", (e) => {
      const statement = { sql: e.query, params: parseParams(e.params) };
      for (const observer of sqlObservers) observer(statement);
    });
  }
  readers.set(client, {
    pool,
    report: observed ? (sql, params) => { for (const observer of sqlObservers) observer({ sql, params: [...params] }); } : null,
  });
  return client as PrismaClient;
}

/** How a client's own statements (db/sql-read.ts) reach its pool, and its SQL observers when it has any. */
export interface ClientReader {
  pool: () => SettingsPool;
  report: ((sql: string, params: unknown[]) => void) | null;
}

const readers = new WeakMap<object, ClientReader>();

/** The pool (and observers) of a client made by `createPrisma`; undefined for any other object. */
export const readerOf = (client: object): ClientReader | undefined => readers.get(client);

/** The connections of this process's pools: open in all, idle, and requests waiting for one (pool saturation). */
export function poolStats(): { total: number; idle: number; waiting: number; max: number } {
  let [total, idle, waiting, max] = [0, 0, 0, 0];
  for (const pool of SettingsPool.open) {
    total += pool.totalCount;
    idle += pool.idleCount;
    waiting += pool.waitingCount;
    max += pool.options.max ?? 0;
  }
  return { total, idle, waiting, max };
}

/**
 * Prisma's pg adapter on a SettingsPool, ended by `$disconnect`; if the client is used again after that, the
 * adapter gets a new SettingsPool (never the plain pg Pool it would build from the options by itself).
 */
function settingsAdapter(url: string, settings: PoolSettings): { adapter: PrismaPg; pool: () => SettingsPool } {
  const newPool = () => {
    const pool = new SettingsPool(poolConfig(url, settings));
    if (sqlObservers.size) {
      pool.onSettingsStatement = (sql, values) => {
        for (const observer of sqlObservers) observer({ sql, params: [...values] });
      };
    }
    return pool;
  };
  const adapter = new PrismaPg(newPool(), { disposeExternalPool: true });
  const open = adapter.connect.bind(adapter);
  const reopenable = adapter as unknown as { externalPool: SettingsPool | null };
  adapter.connect = () => {
    reopenable.externalPool ??= newPool();
    return open();
  };
  return { adapter, pool: () => (reopenable.externalPool ??= newPool()) };
}

function parseParams(params: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(params);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

export type Prisma = ReturnType<typeof createPrisma>;

/**
 * The process's Prisma client (imported, not carried on the context). Set once by `connectDb` at start-up,
 * before any request is served.
 */
export let prisma: Prisma = new Proxy({} as Prisma, {
  get() {
    throw new Error("database not connected: call connectDb() first");
  },
});

export function connectDb(url: string, settings: PoolSettings): Prisma {
  prisma = createPrisma(url, settings);
  return prisma;
}

export async function disconnectDb(): Promise<void> {
  const current = prisma;
  if (current instanceof Object && "$disconnect" in current && typeof current.$disconnect === "function") {
    await current.$disconnect();
  }
}
