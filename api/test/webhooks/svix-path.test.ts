import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ok, seedDemo } from "../support/domain.ts";
import { startSvixStandin, type SvixStandin } from "../support/svix-standin.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, createJob, firstBuilderId } from "./flow.ts";
import { verifies, verifyWithBoth } from "./helpers.ts";

describe("webhooks through Svix (the real svix client against a local stand-in of its REST API)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let svix: SvixStandin;
  let worker: WorkerHandle;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    svix = await startSvixStandin({ deliver: true });
    t = await startTestApp({ SVIX_API_KEY: svix.token, SVIX_SERVER_URL: svix.url });
    prisma = await seedDemo(t);
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 2); // declares the event catalog to Svix
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
    await prisma?.$disconnect();
    await t?.close();
    await svix?.close();
  });

  it("syncs the catalog, mirrors endpoints, sends each event once with its id as idempotency key, and Svix's delivery verifies", async () => {
    expect(svix.eventTypes.get("bid.won")?.schemas).toBeTruthy();
    const ep = await createEndpoint(t, { url: receiver.url("/svix"), filterTypes: ["job.created"], rateLimitPerSecond: 10 });
    const tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    await expect.poll(() => svix.apps.get([...svix.apps.keys()][0] ?? "")?.endpoints.size ?? 0, { timeout: 10_000 }).toBe(1);
    const app = [...svix.apps.values()][0]!;
    expect(app.uid).toBe(tenantId);
    const mirrored = [...app.endpoints.values()][0]!;
    expect(mirrored).toMatchObject({ uid: Buffer.from(ep.id, "base64").toString().split(":")[1], url: receiver.url("/svix"), filterTypes: ["job.created"], throttleRate: 10 });
    expect(mirrored.secrets[0]!.key).toBe(ep.secret);

    await createJob(t, await firstBuilderId(t), "Through Svix");
    const [req] = await receiver.waitForRequests(1, 10_000);
    const body = verifyWithBoth(req!, ep.secret) as any;
    expect(body).toMatchObject({ type: "job.created", version: 2, data: { object: { community: "Through Svix" } } });
    const sends = svix.log.filter((l) => l.method === "POST" && l.path.endsWith("/msg") && (l.body as { eventType: string }).eventType === "job.created");
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ idempotencyKey: body.id, body: { eventType: "job.created", eventId: body.id } });
    await expect.poll(async () => (await prisma.webhookMessage.findUniqueOrThrow({ where: { id: body.id } })).providerMessageId, { timeout: 5_000 }).toMatch(/^msg_/);
    expect(await prisma.webhookDelivery.count()).toBe(0); // Svix owns deliveries and attempts
    expect(svix.unhandled).toEqual([]);
  });

  it("rotates the secret in Svix too, and offers the app portal link", async () => {
    const ep = await createEndpoint(t, { url: receiver.url("/rotated"), filterTypes: ["job.created"] });
    const { rotateWebhookEndpointSecret: r } = await ok(t, `mutation($input: WebhookEndpointInput!) { rotateWebhookEndpointSecret(input: $input) { secret } }`, { input: { id: ep.id } });
    const uid = Buffer.from(ep.id, "base64").toString().split(":")[1];
    const find = () => [...svix.apps.values()].flatMap((a) => [...a.endpoints.values()]).find((e) => e.uid === uid);
    await expect.poll(() => find()?.secrets[0]?.key, { timeout: 10_000 }).toBe(r.secret);
    expect(find()!.secrets[1]!.key).toBe(ep.secret);
    const before = receiver.requests.length;
    await createJob(t, await firstBuilderId(t), "After rotation");
    const all = await receiver.waitForRequests(before + 2, 10_000);
    const rotated = all.find((q) => q.path === "/rotated")!;
    expect(verifies(rotated, r.secret)).toEqual({ standard: true, svix: true });
    expect(verifies(rotated, ep.secret)).toEqual({ standard: true, svix: true });

    const { webhookPortalLink } = await ok(t, `{ webhookPortalLink { url token } }`);
    expect(webhookPortalLink.url).toMatch(/^https:\/\/app\.svix\.com\/login#key=/);
  });
});
