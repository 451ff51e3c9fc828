import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ok, seedDemo } from "../support/domain.ts";
import { webhookReceivers } from "../support/webhook-receiver.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";
import { sleep, verifyWithBoth } from "./helpers.ts";

/** The worker's statement timeout: a fan-out blocked on a lock fails after this long (a real error, retried). */
const STATEMENT_TIMEOUT_MS = 1_000;
const LATER = 5;

const globalToId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

describe("a failing fan-out job holds its tenant's later deliveries until its retry succeeds (built-in deliverer)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  let locker: pg.Client;
  const receivers = webhookReceivers();

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    worker = await startWorker({ ...t.env, DB_STATEMENT_TIMEOUT_MS: STATEMENT_TIMEOUT_MS }, t.db.url, createLogger("silent"), 4);
    locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.query("ROLLBACK").catch(() => undefined);
    await locker?.end();
    await worker?.stop();
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** graphile-worker's record of failed `webhook.fanout` runs still to be retried. */
  const failedFanouts = async () =>
    (
      await prisma.$queryRaw<{ last_error: string }[]>`
        SELECT j.last_error FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = 'webhook.fanout' AND j.last_error IS NOT NULL`
    ).map((r) => r.last_error);

  it("sends nothing after the failed event until it is fanned out, then everything in event order", async () => {
    const [blocked, steady] = [await receivers.start(), await receivers.start()];
    const b = await createEndpoint(t, { url: blocked.url(), filterTypes: ["bid.created"] });
    const s = await createEndpoint(t, { url: steady.url(), filterTypes: ["bid.created", "job.created"] });
    const builderId = await firstBuilderId(t);

    // while `blocked`'s row is locked, a delivery to it cannot be inserted (its foreign key check waits for the lock):
    // the bid's fan-out job fails on the statement timeout; the jobs' fan-outs (to `steady` only) succeed
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "WebhookEndpoint" WHERE id = $1 FOR UPDATE`, [globalToId(b.id)]);
    await ok(t, `mutation($input: CreateBidInput!) { createBid(input: $input) { bid { id } } }`, { input: { builderId, project: "First", dueDate: "2026-06-30" } });
    for (let i = 0; i < LATER; i++) await createJob(t, builderId, `Later ${i}`);

    await expect.poll(failedFanouts, { timeout: 10_000 }).toEqual([expect.stringMatching(/statement timeout/)]);
    // the later events are fanned out: their deliveries wait, pending, behind the event not fanned out yet
    const steadyId = globalToId(s.id);
    await expect.poll(() => prisma.webhookDelivery.count({ where: { endpointId: steadyId, status: "pending", message: { eventType: "job.created" } } }), { timeout: 5_000 }).toBe(LATER);
    await sleep(500);
    expect(steady.requests).toHaveLength(0);
    expect(blocked.requests).toHaveLength(0);
    expect(await prisma.webhookDelivery.count({ where: { endpointId: steadyId, status: "succeeded" } })).toBe(0);

    await locker.query("ROLLBACK"); // graphile-worker's retry of the fan-out now succeeds
    const got = await steady.waitForRequests(1 + LATER, 20_000);
    const [bid] = await blocked.waitForRequests(1, 5_000);
    for (const req of got) verifyWithBoth(req, s.secret);
    verifyWithBoth(bid!, b.secret);
    const bodies = got.map((r) => JSON.parse(r.body));
    expect(bodies.map((m) => m.type)).toEqual(["bid.created", ...Array(LATER).fill("job.created")]);
    expect(bodies.slice(1).map((m) => m.data.object.community)).toEqual(Array.from({ length: LATER }, (_, i) => `Later ${i}`));
    expect(JSON.parse(bid!.body).id).toBe(bodies[0].id); // one message, to both endpoints
    expect(await failedFanouts()).toEqual([]); // retried and done
    await sleep(300);
    expect(steady.requests).toHaveLength(1 + LATER); // nothing twice
  }, 60_000);
});
