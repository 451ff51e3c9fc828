import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { seedDemo } from "../support/domain.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { workerProcesses } from "../support/worker-process.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

const EVENTS = 40;

describe("kill -9 of the worker mid-batch", () => {
  let t: TestApp;
  let prisma: Prisma;
  let receiver: WebhookReceiver;
  const workers = workerProcesses(() => t);
  const startWorkerProcess = () => workers.start({ WEBHOOK_RETRY_SCHEDULE_MS: "0,200,200,200,200" });

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await workers.killAll();
    await receiver?.close();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("delivers every event after a SIGKILL and a restart: nothing lost, duplicates only with the same webhook-id", async () => {
    const builderId = await firstBuilderId(t);
    const ep = await createEndpoint(t, { url: receiver.url(), filterTypes: ["job.created"] });
    receiver.delay(150); // deliveries are in flight when the worker dies
    for (let i = 0; i < EVENTS; i++) await createJob(t, builderId, `Crash ${i}`);
    const expected = new Set((await prisma.webhookMessage.findMany({ where: { eventType: "job.created" }, select: { id: true } })).map((m) => m.id));
    expect(expected.size).toBe(EVENTS);

    const first = startWorkerProcess();
    await receiver.waitForRequests(8, 30_000);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    const beforeRestart = receiver.requests.length;
    expect(beforeRestart).toBeLessThan(EVENTS); // it really died mid-batch

    // jobs the dead worker held (and its endpoint queue's lock) are released by the new worker, not after 4 hours
    const locked = await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL`;
    expect(locked[0]!.n).toBeGreaterThan(0);
    startWorkerProcess();
    await expect
      .poll(() => new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size, { timeout: 40_000, interval: 200 })
      .toBe(EVENTS);

    const seen = new Set<string>();
    for (const req of receiver.requests) {
      const body = verifyWithBoth(req, ep.secret) as { id: string };
      expect(req.headers["webhook-id"]).toBe(body.id); // a repeat is the same message, recognisable as such
      seen.add(body.id);
    }
    expect(seen).toEqual(expected);
    await expect.poll(() => prisma.webhookDelivery.count({ where: { status: "succeeded" } }), { timeout: 10_000 }).toBe(EVENTS);
    // in event order across the crash: the message in flight when the worker died is the first one sent after the
    // restart (the same webhook-id again), then the rest, oldest first (the line is kept in the data, not in jobs)
    const firstReceipts = [...new Set(receiver.requests.map((r) => JSON.parse(r.body).data.object.community as string))];
    expect(firstReceipts).toEqual(Array.from({ length: EVENTS }, (_c, i) => `Crash ${i}`));
    // only that message may have come twice: one drain per endpoint, so one request in flight when the worker died
    const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated.every((id) => id === ids[beforeRestart - 1])).toBe(true);
  }, 90_000);
});
