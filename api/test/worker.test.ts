import { quickAddJob } from "graphile-worker";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadEnv } from "../src/env.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

describe("the worker", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it("migrates graphile-worker's schema on the application database, runs a job, and stops cleanly", async () => {
    const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64) });
    const seen: unknown[] = [];
    const warn = vi.spyOn(console, "warn");
    const worker = await startWorker(env, db.url, createLogger("silent"), 1, { "test.echo": async (payload) => void seen.push(payload) });
    // graphile-worker warns on a pool without error handlers for idle and for checked-out clients: it has both
    expect(warn.mock.calls.flat().join("\n")).not.toMatch(/error handlers/);
    warn.mockRestore();
    try {
      await quickAddJob({ connectionString: db.url }, "test.echo", { hello: "world" });
      await expect.poll(() => seen, { timeout: 10_000 }).toEqual([{ hello: "world" }]);
    } finally {
      await worker.stop();
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM graphile_worker._private_jobs");
    await client.end();
    expect(rows[0].n).toBe(0);
  });
});
