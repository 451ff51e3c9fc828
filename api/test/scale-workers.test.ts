import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { auditPartitionsJob } from "../src/jobs/definitions.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedDemo } from "./support/domain.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";
import { workerProcesses } from "./support/worker-process.ts";
import { createEndpoint, createJob, firstBuilderId } from "./webhooks/flow.ts";
import { verifyWithBoth } from "./webhooks/helpers.ts";

const EVENTS = 30;

/**
 * Scaling out the worker: two real worker processes on one database at once. Webhooks are delivered once each, in
 * event order per endpoint, with both processes taking work; the partition upkeep, a cron task both processes
 * schedule, runs once per tick.
 */
describe("two worker processes on one database", () => {
  let t: TestApp;
  let prisma: Prisma;
  let receiver: WebhookReceiver;
  const workers = workerProcesses(() => t);
  /** Each worker's completed tasks, from its log ("Completed task <id> (<task>, ...) with success"). */
  const completed: string[][] = [[], []];

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    receiver = await startWebhookReceiver();
    for (const i of [0, 1]) {
      let rest = "";
      workers.start({ LOG_LEVEL: "info", AUDIT_PARTITIONS_CRON: "* * * * *" }, (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          const task = /Completed task \S+ \(([^,]+),/.exec(line)?.[1];
          if (task) completed[i]!.push(task);
        }
      });
    }
  });
  afterAll(async () => {
    await workers.killAll();
    await receiver?.close();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("deliver every webhook once, in event order per endpoint, both processes taking deliveries", async () => {
    const builderId = await firstBuilderId(t);
    // more endpoints than one worker has job slots (4), each drain held a moment by every delivery: one process
    // cannot run every endpoint's drain at once, so the other takes some (a drain empties its whole line, so with
    // fewer endpoints one fast process could take them all)
    const endpoints = [];
    for (const path of ["/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h"]) {
      endpoints.push({ path, ...(await createEndpoint(t, { url: receiver.url(path), filterTypes: ["job.created"] })) });
    }
    receiver.delay(20);
    for (let i = 0; i < EVENTS; i++) await createJob(t, builderId, `Scale ${i}`);
    await expect.poll(() => receiver.requests.length, { timeout: 60_000, interval: 200 }).toBe(EVENTS * endpoints.length);
    await new Promise((r) => setTimeout(r, 1_000)); // nothing more arrives: no duplicates late
    expect(receiver.requests.length).toBe(EVENTS * endpoints.length);

    for (const ep of endpoints) {
      const received = receiver.requests.filter((r) => r.path === ep.path);
      const ids = received.map((r) => (verifyWithBoth(r, ep.secret) as { id: string }).id);
      expect(new Set(ids).size, ep.path).toBe(EVENTS); // once each
      expect(received.map((r) => JSON.parse(r.body).data.object.community), ep.path).toEqual(Array.from({ length: EVENTS }, (_c, i) => `Scale ${i}`));
    }
    expect(await prisma.webhookDelivery.count({ where: { status: "succeeded" } })).toBe(EVENTS * endpoints.length);
    const deliveries = completed.map((tasks) => tasks.filter((task) => task.startsWith("webhook")).length);
    expect(deliveries.every((n) => n > 0), `tasks per worker: ${deliveries}`).toBe(true);
  }, 120_000);

  it("run the partition upkeep once per tick, though both schedule it", async () => {
    // the cron (every minute here) fires at the next full minute, and each minute after
    const runs = () => completed.map((tasks) => tasks.filter((task) => task === auditPartitionsJob.id).length);
    await expect.poll(() => runs().reduce((a, b) => a + b, 0), { timeout: 75_000, interval: 250 }).toBeGreaterThanOrEqual(1);
    const firstTick = new Date();
    await new Promise((r) => setTimeout(r, 3_000)); // a second run for the same tick would have come by now
    expect(runs().reduce((a, b) => a + b, 0), `runs per worker: ${runs()} at ${firstTick.toISOString()}`).toBe(1);
    const [crontab] = await prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM graphile_worker._private_known_crontabs WHERE identifier = ${auditPartitionsJob.id} AND last_execution IS NOT NULL`;
    expect(crontab!.n).toBe(1);
  }, 90_000);
});
