import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { seedDemo } from "../support/domain.ts";
import { webhookReceivers, type ReceivedRequest } from "../support/webhook-receiver.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

/** The retry delay after a failed first attempt (±20 % jitter): long enough to tell "waited" from "overtaken". */
const RETRY_MS = 1_500;

const community = (req: ReceivedRequest) => JSON.parse(req.body).data.object.community as string;

describe("delivery order per endpoint (built-in deliverer, two workers)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let builderId: string;
  const workers: WorkerHandle[] = [];
  const receivers = webhookReceivers();
  const receiver = receivers.start;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_RETRY_SCHEDULE_MS: `0,${RETRY_MS},${RETRY_MS}` });
    prisma = await seedDemo(t);
    // two workers on one database: each endpoint's line must hold across them too
    for (let i = 0; i < 2; i++) workers.push(await startWorker(t.env, t.db.url, createLogger("silent"), 4));
    builderId = await firstBuilderId(t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** The events' order by event time, as stored (the order every endpoint must receive them in). */
  async function eventOrder(prefix: string): Promise<string[]> {
    const messages = await prisma.webhookMessage.findMany({ where: { eventType: "job.created" }, orderBy: [{ occurredAt: "asc" }, { id: "asc" }] });
    return messages.map((m) => JSON.parse(m.payload).data.object.community as string).filter((c) => c.startsWith(prefix));
  }

  it("delivers events in event order as they arrive; a retried message holds its endpoint's line, not the others'", async () => {
    const EVENTS = 40;
    const FAILING = "Order 10";
    const [retrying, steady] = [await receiver(), await receiver()];
    const a = await createEndpoint(t, { url: retrying.url(), filterTypes: ["job.created"] });
    const b = await createEndpoint(t, { url: steady.url(), filterTypes: ["job.created"] });
    let failedOnce = false;
    retrying.failWhen((req) => !failedOnce && community(req) === FAILING && (failedOnce = true));
    retrying.delay(10); // a backlog builds up while events keep coming
    steady.delay(10);

    for (let i = 0; i < EVENTS; i++) await createJob(t, builderId, `Order ${i}`);
    const order = await eventOrder("Order ");
    expect(order).toEqual(Array.from({ length: EVENTS }, (_, i) => `Order ${i}`)); // created one after another

    const got = await retrying.waitForRequests(EVENTS + 1, 30_000);
    const gotSteady = await steady.waitForRequests(EVENTS, 30_000);
    for (const req of got) verifyWithBoth(req, a.secret);
    for (const req of gotSteady) verifyWithBoth(req, b.secret);

    // the retried message is attempted again before anything later: receipt order = event order, the retry in place
    const failedAt = order.indexOf(FAILING);
    expect(got.map(community)).toEqual([...order.slice(0, failedAt + 1), FAILING, ...order.slice(failedAt + 1)]);
    expect(got[failedAt]!.headers["webhook-id"]).toBe(got[failedAt + 1]!.headers["webhook-id"]);
    // ...after the schedule's delay (nothing came early), while the other endpoint went on in order meanwhile
    const retriedAt = got[failedAt + 1]!.receivedAt;
    expect(retriedAt - got[failedAt]!.receivedAt).toBeGreaterThanOrEqual(RETRY_MS * 0.8 - 50);
    expect(gotSteady.map(community)).toEqual(order);
    expect(gotSteady[failedAt + 1]!.receivedAt).toBeLessThan(retriedAt);

    await expect.poll(() => prisma.webhookDelivery.count({ where: { status: "succeeded", message: { eventType: "job.created" } } }), { timeout: 10_000 }).toBe(2 * EVENTS);
    const retried = await prisma.webhookAttempt.findMany({ where: { endpointId: globalToId(a.id), attempt: { gt: 1 } } });
    expect(retried).toHaveLength(1);
    expect(retried[0]!.success).toBe(true);
  }, 60_000);

  it("holds the line through rate-limit deferrals, and keeps to the endpoint's rate", async () => {
    await workers.pop()!.stop(); // one worker: the rate limit is per process
    const EVENTS = 12;
    const RATE = 4;
    const limited = await receiver();
    const ep = await createEndpoint(t, { url: limited.url(), filterTypes: ["job.created"], rateLimitPerSecond: RATE });
    for (let i = 0; i < EVENTS; i++) await createJob(t, builderId, `Rate ${i}`);

    const got = await limited.waitForRequests(EVENTS, 30_000);
    expect(got.map(community)).toEqual(await eventOrder("Rate "));
    // RATE per one-second window: EVENTS requests need EVENTS / RATE windows, so they span (EVENTS / RATE - 1) s at least
    const spanMs = got.at(-1)!.receivedAt - got[0]!.receivedAt;
    expect(spanMs).toBeGreaterThanOrEqual((Math.ceil(EVENTS / RATE) - 1) * 1_000 - 100);
    // deferrals are not attempts: one attempt each, all successful
    await expect.poll(() => prisma.webhookAttempt.count({ where: { endpointId: globalToId(ep.id), success: true } }), { timeout: 5_000 }).toBe(EVENTS);
    expect(await prisma.webhookAttempt.count({ where: { endpointId: globalToId(ep.id) } })).toBe(EVENTS);
  }, 60_000);
});

/** Our endpoint id from its global ID. */
const globalToId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;
