import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { fails, ok, seedDemo } from "../support/domain.ts";
import { webhookReceivers } from "../support/webhook-receiver.ts";
import { createEndpoint, createJob, ENDPOINT_LOG, firstBuilderId } from "./flow.ts";
import { sleep, verifies, verifyWithBoth } from "./helpers.ts";
import { SECRET_ROTATION_GRACE_MS } from "../../src/webhooks/config.ts";
import { SecretBox } from "../../src/webhooks/secret-box.ts";
import { openSecrets } from "../../src/webhooks/endpoint-secrets.ts";

describe("outbound webhooks, end to end (GraphQL → outbox → worker → receiver)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  let builderId: string;
  const receivers = webhookReceivers();
  const receiver = receivers.start;

  beforeAll(async () => {
    // the retry schedule is shortened by configuration only: the same code path as production's Svix schedule
    t = await startTestApp({ WEBHOOK_RETRY_SCHEDULE_MS: "0,300,300" });
    prisma = await seedDemo(t);
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 4);
    builderId = await firstBuilderId(t);
  });
  afterAll(async () => {
    await worker?.stop();
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("lists the event catalog with descriptions and payload schemas, aliases included", async () => {
    const { webhookEventTypes } = await ok(t, `{ webhookEventTypes { name description version schema } }`);
    const names = webhookEventTypes.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(["job.created", "job.status_changed", "bid.won", "service_call.dispatched", "tenant_config.updated", "webhook_endpoint.disabled"]));
    const created = webhookEventTypes.find((e: { name: string }) => e.name === "job.created");
    expect(created.version).toBe(2);
    expect(created.description).toMatch(/job/);
    const schema = JSON.parse(created.schema);
    expect(schema.properties.data.properties.object.anyOf[0].properties.community).toEqual({ type: "string", description: "Community or subdivision." });
    expect(schema.properties.data.properties.object.anyOf[0].properties.status.enum).toContain("ROUGH_IN");
  });

  it("delivers each event exactly once to each subscribed endpoint, signed, and to no one else", async () => {
    const [all, onlyStatus, otherTenant] = [await receiver(), await receiver(), await receiver()];
    const a = await createEndpoint(t, { url: all.url("/all"), description: "everything" });
    await createEndpoint(t, { url: onlyStatus.url("/status"), filterTypes: ["job.status_changed"] });
    await createEndpoint(t, { url: otherTenant.url("/h2o") }, "h2o");

    const jobEvents = () => all.requests.filter((r) => JSON.parse(r.body).type.startsWith("job."));
    const job = await createJob(t, builderId, "Exactly Once");
    await expect.poll(() => jobEvents().length, { timeout: 10_000 }).toBe(1);
    const [req] = jobEvents();
    const body = verifyWithBoth(req!, a.secret) as any;
    expect(body).toMatchObject({ type: "job.created", version: 2, data: { entityType: "job", action: "created", object: { community: "Exactly Once", status: "SCHEDULED" }, previous: null, truncated: false } });
    expect(req!.headers["webhook-id"]).toBe(body.id);
    const message = await prisma.webhookMessage.findUniqueOrThrow({ where: { id: body.id } });
    expect(message.payload).toBe(req!.body);

    await ok(t, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    const [changed] = await onlyStatus.waitForRequests(1, 10_000);
    expect(JSON.parse(changed!.body)).toMatchObject({ type: "job.status_changed", data: { previous: { status: "SCHEDULED", version: 1 }, object: { status: "UNDERGROUND" } } });
    await expect.poll(() => jobEvents().length, { timeout: 10_000 }).toBe(2);
    await sleep(500); // anything extra would have arrived by now
    // the endpoint without a filter also got the other endpoints' creation (webhook_endpoint.created), once each
    expect(all.requests.map((r) => JSON.parse(r.body).type)).toEqual(["webhook_endpoint.created", "webhook_endpoint.created", "job.created", "job.status_changed"]);
    expect(onlyStatus.requests).toHaveLength(1);
    // the other tenant's endpoint got only its own tenant's event (its own creation), nothing of this tenant's jobs
    expect(otherTenant.requests.map((r) => JSON.parse(r.body).type)).toEqual(["webhook_endpoint.created"]);
    expect(new Set(all.requests.map((r) => r.headers["webhook-id"])).size).toBe(4);

    const log = (await ok(t, ENDPOINT_LOG, { id: a.id })).node;
    expect(log.deliveries.totalCount).toBe(4);
    expect(log.deliveries.edges.map((e: any) => e.node.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
  });

  it("sends a won bid as bid.status_changed and as bid.won, each with its own id", async () => {
    const won = await receiver();
    await createEndpoint(t, { url: won.url(), filterTypes: ["bid.won"] });
    const STATUS = `mutation($input: ChangeBidStatusInput!) { changeBidStatus(input: $input) { bid { id version } } }`;
    let bid = (await ok(t, `mutation($input: CreateBidInput!) { createBid(input: $input) { bid { id version } } }`, { input: { builderId, project: "Won it", dueDate: "2026-06-30" } })).createBid.bid;
    bid = (await ok(t, STATUS, { input: { id: bid.id, expectedVersion: bid.version, status: "SUBMITTED" } })).changeBidStatus.bid;
    await ok(t, STATUS, { input: { id: bid.id, expectedVersion: bid.version, status: "WON" } });
    const [req] = await won.waitForRequests(1, 10_000);
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({ type: "bid.won", data: { object: { status: "WON", project: "Won it" } } });
    const statusChanged = await prisma.webhookMessage.findMany({ where: { eventType: "bid.status_changed" }, orderBy: { occurredAt: "desc" }, take: 1 });
    expect(statusChanged[0]!.id).not.toBe(body.id);
    await sleep(300);
    expect(won.requests).toHaveLength(1);
  });

  it("retries a failing endpoint on the schedule: fails twice, delivered on the third attempt, every attempt recorded", async () => {
    const flaky = await receiver();
    flaky.failNext(2, 503, "try later");
    const ep = await createEndpoint(t, { url: flaky.url(), filterTypes: ["job.created"] });
    await createJob(t, builderId, "Third Time Lucky");
    const requests = await flaky.waitForRequests(3, 15_000);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1); // one message, three attempts
    for (const r of requests) verifyWithBoth(r, ep.secret);
    await expect.poll(async () => (await ok(t, ENDPOINT_LOG, { id: ep.id })).node.deliveries.edges[0]?.node.status, { timeout: 5_000 }).toBe("SUCCEEDED");
    const { node } = await ok(t, ENDPOINT_LOG, { id: ep.id });
    const delivery = node.deliveries.edges[0].node;
    expect(delivery.attemptCount).toBe(3);
    const attempts = delivery.attempts.edges.map((e: any) => e.node).reverse();
    expect(attempts.map((a: any) => [a.attempt, a.statusCode, a.success])).toEqual([[1, 503, false], [2, 503, false], [3, 204, true]]);
    expect(attempts[0].responseBodyExcerpt).toBe("try later");
    expect(node.failingSince).toBeNull();
  });

  it("marks a delivery failed after the last attempt of the schedule", async () => {
    const dead = await receiver();
    dead.respondWith(500, "down");
    const ep = await createEndpoint(t, { url: dead.url(), filterTypes: ["job.created"] });
    await createJob(t, builderId, "Never Delivered");
    await dead.waitForRequests(3, 15_000);
    await expect.poll(async () => (await ok(t, ENDPOINT_LOG, { id: ep.id })).node.deliveries.edges[0]?.node.status, { timeout: 5_000 }).toBe("FAILED");
    await sleep(800);
    expect(dead.requests).toHaveLength(3);
    expect((await ok(t, ENDPOINT_LOG, { id: ep.id })).node.failingSince).not.toBeNull();
  });

  it("rotates the secret: later deliveries verify with the new secret and, for 24 h, with the old one", async () => {
    const r = await receiver();
    const ep = await createEndpoint(t, { url: r.url(), filterTypes: ["job.created"] });
    const { rotateWebhookEndpointSecret: rotated } = await ok(t, `mutation($input: WebhookEndpointInput!) { rotateWebhookEndpointSecret(input: $input) { secret endpoint { version } } }`, { input: { id: ep.id } });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(ep.secret);
    await createJob(t, builderId, "Rotated");
    const [req] = await r.waitForRequests(1, 10_000);
    expect(verifies(req!, rotated.secret)).toEqual({ standard: true, svix: true });
    expect(verifies(req!, ep.secret)).toEqual({ standard: true, svix: true });
    expect(String(req!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: Buffer.from(ep.id, "base64").toString().split(":")[1]! } });
    expect(row.secrets).not.toContain(rotated.secret.slice(6, 20)); // encrypted at rest
    expect(row.secrets).toMatch(/^v1\./);
    // the old secret is kept for 24 h from the rotation, then dropped from signing (signing.test.ts shows the cut-off)
    const secrets = openSecrets(new SecretBox(t.env.ENCRYPTION_KEY), row);
    expect(secrets.map((s) => s.secret)).toEqual([rotated.secret, ep.secret]);
    expect(secrets[0]!.expiresAt).toBeNull();
    expect(Math.abs(secrets[1]!.expiresAt!.getTime() - (Date.now() + SECRET_ROTATION_GRACE_MS))).toBeLessThan(60_000);
  });

  it("refuses unsafe or invalid endpoints with BAD_USER_INPUT and creates nothing", async () => {
    const before = await prisma.webhookEndpoint.count();
    for (const url of ["http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://192.168.0.10/", "http://[fd00::1]/", "ftp://127.0.0.1/x", "not a url"]) {
      const err = await fails(t, `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, { input: { url } });
      expect(err.extensions?.code, url).toBe("BAD_USER_INPUT");
      expect(err.extensions?.field, url).toEqual(["input", "url"]);
    }
    const unknownType = await fails(t, `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, { input: { url: "http://127.0.0.1:9/x", filterTypes: ["job.exploded"] } });
    expect(unknownType.extensions?.code).toBe("BAD_USER_INPUT");
    expect(unknownType.extensions?.field).toEqual(["input", "filterTypes"]);
    expect(await prisma.webhookEndpoint.count()).toBe(before);
  });

  it("sends a test event to one endpoint only, whatever its filter", async () => {
    const [target, bystander] = [await receiver(), await receiver()];
    const ep = await createEndpoint(t, { url: target.url(), filterTypes: ["bid.lost"] });
    await createEndpoint(t, { url: bystander.url() });
    const { sendTestWebhook } = await ok(t, `mutation($input: WebhookEndpointInput!) { sendTestWebhook(input: $input) { message { eventId eventType } } }`, { input: { id: ep.id } });
    expect(sendTestWebhook.message.eventType).toBe("webhook.test");
    const [req] = await target.waitForRequests(1, 10_000);
    expect((verifyWithBoth(req!, ep.secret) as any).id).toBe(sendTestWebhook.message.eventId);
    await sleep(300);
    expect(bystander.requests.filter((r) => JSON.parse(r.body).type === "webhook.test")).toHaveLength(0);
  });

  it("replays what a disabled endpoint missed, in event order, and resends one message", async () => {
    const r = await receiver();
    const ep = await createEndpoint(t, { url: r.url(), filterTypes: ["job.created"] });
    const since = new Date().toISOString();
    await ok(t, `mutation($input: DisableWebhookEndpointInput!) { disableWebhookEndpoint(input: $input) { endpoint { disabled disabledReason } } }`, { input: { id: ep.id, reason: "maintenance" } });
    for (const name of ["Missed 1", "Missed 2", "Missed 3"]) await createJob(t, builderId, name);
    await sleep(500);
    expect(r.requests).toHaveLength(0);
    await ok(t, `mutation($input: WebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { disabled } } }`, { input: { id: ep.id } });
    const { replayWebhooks } = await ok(t, `mutation($input: ReplayWebhooksInput!) { replayWebhooks(input: $input) { count } }`, { input: { since, endpointId: ep.id } });
    expect(replayWebhooks.count).toBe(3);
    const got = await r.waitForRequests(3, 10_000);
    expect(got.map((q) => (verifyWithBoth(q, ep.secret) as any).data.object.community)).toEqual(["Missed 1", "Missed 2", "Missed 3"]);

    // replaying again sends nothing: everything is delivered (unless asked to include what succeeded)
    expect((await ok(t, `mutation($input: ReplayWebhooksInput!) { replayWebhooks(input: $input) { count } }`, { input: { since, endpointId: ep.id } })).replayWebhooks.count).toBe(0);
    // both replays are in the endpoint's history
    const trail = await ok(t, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { auditTrail(first: 10) { edges { node { eventType } } } } } }`, { id: ep.id });
    expect(trail.node.auditTrail.edges.map((e: { node: { eventType: string } }) => e.node.eventType).filter((e: string) => e === "webhook.replayed")).toHaveLength(2);
    const messageId = JSON.parse(got[0]!.body).id;
    const { resendWebhookMessage } = await ok(t, `mutation($input: ResendWebhookMessageInput!) { resendWebhookMessage(input: $input) { count } }`, {
      input: { messageId: Buffer.from(`WebhookMessage:${messageId}`).toString("base64"), endpointId: ep.id },
    });
    expect(resendWebhookMessage.count).toBe(1);
    const again = await r.waitForRequests(4, 10_000);
    expect(again[3]!.headers["webhook-id"]).toBe(messageId); // the same webhook-id: receivers deduplicate
  });

  it("manages endpoints: update with optimistic concurrency, delete, tenant isolation", async () => {
    const ep = await createEndpoint(t, { url: "http://127.0.0.1:9/a", description: "first" });
    const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { endpoint { description filterTypes rateLimitPerSecond version } } }`;
    const updated = (await ok(t, UPDATE, { input: { id: ep.id, expectedVersion: 1, description: "second", filterTypes: ["job.created"], rateLimitPerSecond: 5 } })).updateWebhookEndpoint.endpoint;
    expect(updated).toEqual({ description: "second", filterTypes: ["job.created"], rateLimitPerSecond: 5, version: 2 });
    expect((await fails(t, UPDATE, { input: { id: ep.id, expectedVersion: 1, description: "stale" } })).extensions?.code).toBe("CONFLICT");
    expect((await ok(t, `query($id: ID!) { node(id: $id) { id } }`, { id: ep.id }, "h2o")).node).toBeNull();
    expect((await fails(t, `mutation($input: WebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedEndpointId } }`, { input: { id: ep.id } }, "h2o")).extensions?.code).toBe("NOT_FOUND");
    const { deleteWebhookEndpoint } = await ok(t, `mutation($input: WebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedEndpointId } }`, { input: { id: ep.id } });
    expect(deleteWebhookEndpoint.deletedEndpointId).toBe(ep.id);
    expect((await ok(t, `query($id: ID!) { node(id: $id) { id } }`, { id: ep.id })).node).toBeNull();
    expect((await ok(t, `{ webhookPortalLink { url } }`)).webhookPortalLink).toBeNull();
  });
});
