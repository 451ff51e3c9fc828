import { quickAddJob } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { ok, seedDemo } from "./support/domain.ts";

/** The value of one series of /metrics (`name{labels} value`), or null when the scrape has no such series. */
async function series(port: number, name: string, labels = ""): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ").at(-1)) : null;
}

describe("/metrics: what waits in the database", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await t.close();
  });

  it("reports the webhook fan-out backlog and the worker's jobs by state, and both fall when the worker has run", async () => {
    expect(await series(port, "webhook_fanout_backlog_seconds")).toBe(0);
    await ok(t, `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hooks", filterTypes: ["builder.created"] }) { endpoint { id } } }`);
    await ok(t, `mutation { createBuilder(input: { name: "Backlog Homes" }) { builder { id } } }`);
    // no worker runs yet: the event waits for its fan-out
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await series(port, "webhook_fanout_backlog_seconds")).toBeGreaterThanOrEqual(1);
    expect(await series(port, "worker_jobs", '{task="webhook.fanout",state="waiting"}')).toBeGreaterThanOrEqual(1);

    // a job that cannot succeed (its payload is invalid) and has one attempt: failed, and kept
    await quickAddJob({ connectionString: t.db.url }, "webhook.deliver", { nonsense: true }, { maxAttempts: 1 });
    const worker = await startWorker(t.env, t.db.url, createLogger("silent"), 2);
    try {
      await expect.poll(() => series(port, "webhook_fanout_backlog_seconds"), { timeout: 15_000 }).toBe(0);
      await expect.poll(() => series(port, "worker_jobs", '{task="webhook.deliver",state="failed"}'), { timeout: 15_000 }).toBe(1);
      expect(await series(port, "worker_jobs", '{task="webhook.fanout",state="waiting"}')).toBeNull();
    } finally {
      await worker.stop();
    }
  });
});
