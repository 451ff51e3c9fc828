import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ok, seedDemo } from "../support/domain.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { CREATE_JOB, createEndpoint, firstBuilderId } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

const MAX_PAYLOAD_BYTES = 1_024;

describe("the payload bound (WEBHOOK_MAX_PAYLOAD_BYTES), end to end", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES) });
    prisma = await seedDemo(t);
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 2);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("sends an event too large for the bound as a signed reference (truncated), never more bytes than the bound", async () => {
    const ep = await createEndpoint(t, { url: receiver.url(), filterTypes: ["job.created"] });
    const input = { builderId: await firstBuilderId(t), community: "Big Notes", scheduledDate: "2026-05-01", notes: "n".repeat(3 * MAX_PAYLOAD_BYTES) };
    const { createJob } = await ok(t, CREATE_JOB, { input });

    const [req] = await receiver.waitForRequests(1, 10_000);
    expect(Buffer.byteLength(req!.body)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    const body = verifyWithBoth(req!, ep.secret) as any;
    // what the partner needs to fetch it through the API instead: the entity (its global ID, for node(id:)) and the change
    expect(body).toMatchObject({ type: "job.created", data: { entityType: "job", entityId: createJob.job.id, action: "created", object: null, previous: null, truncated: true } });
    const stored = await prisma.webhookMessage.findUniqueOrThrow({ where: { id: body.id } });
    expect(stored.payload).toBe(req!.body);
  });
});
