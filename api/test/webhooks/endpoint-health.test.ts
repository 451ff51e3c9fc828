import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, ok, seedDemo } from "../support/domain.ts";
import { webhookReceivers } from "../support/webhook-receiver.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";

const DISABLE_AFTER_MS = 3 * 24 * 3_600_000;
const HEALTH = `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { failingSince health {
  since breaker autoDisableAt
  total { start attempts successes successRate latencyP50Ms latencyP95Ms }
  hourly { start attempts successes successRate latencyP50Ms latencyP95Ms } } } } }`;

/** PostgreSQL's percentile_cont, in JavaScript: linear interpolation between the two nearest ranks. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  return sorted[lo]! + (sorted[Math.ceil(rank)]! - sorted[lo]!) * (rank - lo);
}

describe("endpoint health: success rate, latency, breaker and auto-disable, from real deliveries", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  const receivers = webhookReceivers();

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_RETRY_SCHEDULE_MS: "0,50,50",
      WEBHOOK_BREAKER_THRESHOLD: "3",
      WEBHOOK_BREAKER_OPEN_MS: "600000",
      WEBHOOK_DISABLE_AFTER_MS: String(DISABLE_AFTER_MS),
    });
    prisma = await seedDemo(t);
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 4);
  });
  afterAll(async () => {
    await worker?.stop();
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("computes the figures from the attempt log, hour by hour, and shows the breaker and the auto-disable time", async () => {
    const healthy = await receivers.start();
    const flaky = await receivers.start();
    const dead = await receivers.start();
    healthy.delay(20);
    dead.respondWith(503, "down");
    const builderId = await firstBuilderId(t);
    const good = await createEndpoint(t, { url: healthy.url(), filterTypes: ["job.created"] });
    const mixed = await createEndpoint(t, { url: flaky.url(), filterTypes: ["job.created"] });
    const bad = await createEndpoint(t, { url: dead.url(), filterTypes: ["job.created"] });
    flaky.failNext(2); // the first message fails twice, then every attempt succeeds
    for (let i = 0; i < 4; i++) await createJob(t, builderId, `Health ${i}`);

    const endpointId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;
    const attemptsOf = (id: string) => prisma.webhookAttempt.findMany({ where: { endpointId: endpointId(id) } });
    await expect.poll(async () => (await attemptsOf(good.id)).filter((a) => a.success).length, { timeout: 20_000 }).toBe(4);
    await expect.poll(async () => (await attemptsOf(mixed.id)).filter((a) => a.success).length, { timeout: 20_000 }).toBe(4);
    // the dead endpoint: each message fails its 3 attempts (the first 3 open its breaker, threshold 3; later ones are
    // refused by it without being sent)
    await expect.poll(async () => (await attemptsOf(bad.id)).length, { timeout: 20_000 }).toBe(12);

    const health = async (id: string) => (await ok(t, HEALTH, { id })).node;

    const g = await health(good.id);
    const goodAttempts = await attemptsOf(good.id);
    expect(g.health.total).toMatchObject({ attempts: 4, successes: 4, successRate: 1 });
    expect(g.health.total.latencyP50Ms).toBeCloseTo(percentile(goodAttempts.map((a) => a.latencyMs), 0.5), 6);
    expect(g.health.total.latencyP95Ms).toBeCloseTo(percentile(goodAttempts.map((a) => a.latencyMs), 0.95), 6);
    expect(g.health.total.latencyP50Ms).toBeGreaterThanOrEqual(20); // the receiver's delay
    expect(g.health).toMatchObject({ breaker: "CLOSED", autoDisableAt: null });
    expect(g.health.hourly).toHaveLength(24);
    const hours = g.health.hourly.map((b: { start: string }) => Date.parse(b.start));
    expect(hours.every((h: number, i: number) => i === 0 || h - hours[i - 1] === 3_600_000)).toBe(true);
    expect(g.health.since).toBe(g.health.hourly[0].start);
    expect(Date.now() - hours[23]).toBeLessThan(3_600_000); // the current hour is the last bucket
    // every attempt is in the last bucket (or the last two, should the test straddle an hour), the others are empty
    const recent = g.health.hourly.slice(22).reduce((n: number, b: { attempts: number }) => n + b.attempts, 0);
    expect(recent).toBe(4);
    expect(g.health.hourly.slice(0, 22).every((b: { attempts: number; successRate: number | null }) => b.attempts === 0 && b.successRate === null)).toBe(true);

    const m = await health(mixed.id);
    expect(m.health.total).toMatchObject({ attempts: 6, successes: 4 });
    expect(m.health.total.successRate).toBeCloseTo(4 / 6, 9);
    expect(m.health).toMatchObject({ breaker: "CLOSED", autoDisableAt: null });

    const b = await health(bad.id);
    const badAttempts = await attemptsOf(bad.id);
    expect(b.health.total).toMatchObject({ attempts: badAttempts.length, successes: 0, successRate: 0 });
    expect(b.health.total.latencyP50Ms).toBeCloseTo(percentile(badAttempts.filter((a) => a.statusCode !== null).map((a) => a.latencyMs), 0.5), 6);
    expect(b.health.breaker).toBe("OPEN");
    expect(b.failingSince).not.toBeNull();
    expect(Date.parse(b.health.autoDisableAt) - Date.parse(b.failingSince)).toBe(DISABLE_AFTER_MS);

    // the figures are the webhook managers': a dispatcher cannot read them
    const res = await t.gql<any>(HEALTH, { id: bad.id }, as("all_county", "dispatcher"));
    expect(res.data?.node?.health ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code ?? "hidden").toMatch(/FORBIDDEN|hidden/);
  }, 60_000);
});
