import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ok, seedDemo } from "../support/domain.ts";
import { webhookReceivers } from "../support/webhook-receiver.ts";
import { connect, subscribe, waitForEvents, waitForOperations, type LiveClient } from "../support/ws.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";
import { sleep, verifyWithBoth } from "./helpers.ts";

/** Production's 5 days, shortened by configuration: the same code path, a shorter WEBHOOK_DISABLE_AFTER_MS. */
const DISABLE_AFTER_MS = 1_500;
const RETRY_MS = 150;

describe("an endpoint that keeps failing is disabled (WEBHOOK_DISABLE_AFTER_MS), and admins are told", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  let live: LiveClient;
  let port: number;
  const receivers = webhookReceivers();

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_DISABLE_AFTER_MS: String(DISABLE_AFTER_MS),
      // enough attempts to outlast DISABLE_AFTER_MS; the circuit stays closed so that every attempt is a real request
      WEBHOOK_RETRY_SCHEDULE_MS: ["0", ...Array(40).fill(String(RETRY_MS))].join(","),
      WEBHOOK_BREAKER_THRESHOLD: "1000",
    });
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
    live = connect(port, "all_county", {});
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 4);
  });
  afterAll(async () => {
    await live?.dispose();
    await worker?.stop();
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("disables it after failing that long: event through the pipeline, audit row by the system, webhook to the other endpoints, live event; deliveries stop", async () => {
    const [dead, admins] = [await receivers.start(), await receivers.start()];
    dead.respondWith(503, "down for maintenance");
    const failing = await createEndpoint(t, { url: dead.url(), filterTypes: ["job.created"] });
    const watcher = await createEndpoint(t, { url: admins.url(), filterTypes: ["webhook_endpoint.disabled"] });
    const sub = subscribe(live, `subscription { tenantEvents(types: ["webhook_endpoint.disabled"]) { eventId type actor { kind label } } }`);
    await waitForOperations(port, 1);

    const builderId = await firstBuilderId(t);
    const started = Date.now();
    await createJob(t, builderId, "Never arrives");

    // the admins' endpoint hears of it, signed like any event
    const [notice] = await admins.waitForRequests(1, 15_000);
    const disabledAt = Date.now();
    const body = verifyWithBoth(notice!, watcher.secret) as any;
    expect(body).toMatchObject({ type: "webhook_endpoint.disabled", data: { entityType: "webhook_endpoint", object: { disabled: true, url: dead.url() } } });
    expect(body.data.object.disabledReason).toMatch(/failed continuously since/);
    expect(JSON.stringify(body)).not.toMatch(/whsec_|secrets/); // the endpoint's view carries no secret
    expect(disabledAt - started).toBeGreaterThanOrEqual(DISABLE_AFTER_MS);

    // not before WEBHOOK_DISABLE_AFTER_MS of continuous failure, retried all along on the schedule
    const endpointId = Buffer.from(failing.id, "base64").toString().split(":")[1]!;
    const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    expect(row.disabled).toBe(true);
    expect(row.failingSince).not.toBeNull();
    const attempts = await prisma.webhookAttempt.findMany({ where: { endpointId }, orderBy: { attempt: "asc" } });
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((a) => !a.success && a.statusCode === 503)).toBe(true);
    // the last attempt ended (it may have started a moment before) WEBHOOK_DISABLE_AFTER_MS after the first failure
    const lastEnded = attempts.at(-1)!.startedAt.getTime() + attempts.at(-1)!.latencyMs;
    expect(lastEnded - row.failingSince!.getTime()).toBeGreaterThanOrEqual(DISABLE_AFTER_MS - 1); // latencyMs is whole ms
    expect(dead.requests).toHaveLength(attempts.length);

    // the audit trail names the system as the actor
    const audit = await prisma.auditEvent.findMany({ where: { entityId: endpointId, eventType: "webhook_endpoint.disabled" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorKind: "system", action: "updated" });
    expect(audit[0]!.changedAt.getTime() - row.failingSince!.getTime()).toBeGreaterThanOrEqual(DISABLE_AFTER_MS);

    // subscribers of the tenant get the change live
    await waitForEvents(sub, 1);
    expect(sub.events[0].tenantEvents).toMatchObject({ eventId: body.id, type: "webhook_endpoint.disabled", actor: { kind: "system" } }); // one event, every channel

    // deliveries stop: nothing more to the dead endpoint, not for the pending message nor for new events
    const requestsAtDisable = dead.requests.length;
    await createJob(t, builderId, "After disable");
    await sleep(4 * RETRY_MS + 500);
    expect(dead.requests).toHaveLength(requestsAtDisable);
    const pending = await prisma.webhookDelivery.findMany({ where: { endpointId }, include: { message: true } });
    expect(pending.map((d) => [d.status, JSON.parse(d.message.payload).data.object.community])).toEqual([["pending", "Never arrives"]]);

    // the endpoint log tells the admins why
    const view = (await ok(t, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { disabled disabledReason failingSince } } }`, { id: failing.id })).node;
    expect(view.disabled).toBe(true);
    expect(view.disabledReason).toMatch(/failed continuously/);

    // enabled again (by an admin), the endpoint gets what was pending, with the same webhook-id as every attempt
    dead.respondWith(204);
    await ok(t, `mutation($input: WebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { disabled } } }`, { input: { id: failing.id } });
    const [resumed] = (await dead.waitForRequests(requestsAtDisable + 1, 10_000)).slice(-1);
    expect(resumed!.headers["webhook-id"]).toBe(dead.requests[0]!.headers["webhook-id"]);
    await expect.poll(() => prisma.webhookDelivery.findFirst({ where: { endpointId }, select: { status: true } }), { timeout: 5_000 }).toEqual({ status: "succeeded" });
  }, 60_000);
});
