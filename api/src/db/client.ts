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

export function createPrisma(url: string, settings: PoolSettings) {
  return new PrismaClient({ adapter: new PrismaPg(poolConfig(url, settings)) });
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
