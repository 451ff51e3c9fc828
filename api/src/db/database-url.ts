import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /** true on the embedded database's first start */
  fresh: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR (started here, stopped by `stop`). */
export async function resolveDatabase(env: Env, log: Logger): Promise<ResolvedDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, fresh: false, stop: async () => {} };
  const db = await startEmbeddedPostgres(env.DATA_DIR, env.EMBEDDED_PG_PORT, log);
  return { url: db.url, embedded: true, fresh: db.fresh, stop: db.stop };
}
