import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Env } from "../env.ts";

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

export function createPrisma(url: string, settings: PoolSettings) {
  const adapter = new PrismaPg(poolConfig(url, settings));
  if (!sqlObservers.size) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  (client as unknown as { $on(e: "query", cb: (e: { query: string; params: string }) => void): void }).$on("query", (e) => {
    const statement = { sql: e.query, params: parseParams(e.params) };
    for (const observer of sqlObservers) observer(statement);
  });
  return client as unknown as PrismaClient;
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
