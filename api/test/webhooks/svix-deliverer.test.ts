import { ApiException, Svix } from "svix";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDeliverer } from "../../src/webhooks/create-deliverer.ts";
import { SvixDeliverer } from "../../src/webhooks/svix-deliverer.ts";
import { rotateSecrets } from "../../src/webhooks/signing.ts";
import { startSvixStandin, type SvixStandin } from "../support/svix-standin.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { configFrom, endpointFor, messageFor, verifies, verifyWithBoth } from "./helpers.ts";

let standin: SvixStandin;
let receivers: WebhookReceiver[];
let deliverer: SvixDeliverer;

beforeEach(async () => {
  standin = await startSvixStandin({ deliver: true });
  receivers = [await startWebhookReceiver(), await startWebhookReceiver()];
  deliverer = new SvixDeliverer({ apiKey: standin.token, serverUrl: standin.url, urlPolicy: { allowHttp: true, allowLoopback: true } });
});
afterEach(async () => {
  expect(standin.unhandled).toEqual([]);
  await deliverer.close();
  await standin.close();
  await Promise.all(receivers.map((r) => r.close()));
});

const catalog = [
  { name: "job.created", description: "A job was created", schemas: { "1": { type: "object", required: ["id", "type", "data"] } } },
  { name: "bid.won", description: "A bid was won" },
];
const appOf = (tenantId: string) => [...standin.apps.values()].find((a) => a.uid === tenantId);
const msgPosts = () => standin.log.filter((e) => e.method === "POST" && /\/msg$/.test(e.path));

describe("the Svix deliverer (real svix client against the local stand-in)", () => {
  it("is chosen when SVIX_API_KEY is set", () => {
    expect(createDeliverer(configFrom({ SVIX_API_KEY: "testsk_x", SVIX_SERVER_URL: standin.url })).kind).toBe("svix");
    expect(createDeliverer(configFrom()).kind).toBe("builtin");
  });

  it("creates one application per tenant, with the tenant id as uid, once", async () => {
    await deliverer.ensureApplication("tenant-a");
    await deliverer.ensureApplication("tenant-a");
    await new SvixDeliverer({ apiKey: standin.token, serverUrl: standin.url, urlPolicy: { allowHttp: true, allowLoopback: true } }).ensureApplication("tenant-a");
    await deliverer.ensureApplication("tenant-b");
    expect([...standin.apps.values()].map((a) => a.uid).sort()).toEqual(["tenant-a", "tenant-b"]);
    expect(appOf("tenant-a")!.id).toMatch(/^app_[A-Za-z0-9]{27}$/);
    const creates = standin.log.filter((e) => e.method === "POST" && e.path === "/api/v1/app");
    expect(creates).toHaveLength(3);
    expect(creates.map((e) => e.status)).toEqual([201, 200, 201]);
  });

  it("mirrors an endpoint with our id as uid, filter types, throttle rate and our secret; a second upsert updates it", async () => {
    const [r] = receivers;
    const endpoint = endpointFor(r!.url(), { filterTypes: ["job.created"], rateLimitPerSecond: 10, description: "CRM" });
    await deliverer.syncEventTypes(catalog);
    await deliverer.upsertEndpoint(endpoint);

    const svixEndpoints = [...appOf("tenant-a")!.endpoints.values()];
    expect(svixEndpoints).toHaveLength(1);
    expect(svixEndpoints[0]).toMatchObject({ uid: endpoint.id, url: endpoint.url, filterTypes: ["job.created"], throttleRate: 10, description: "CRM", disabled: false });
    expect(svixEndpoints[0]!.id).toMatch(/^ep_/);
    const svix = new Svix(standin.token, { serverUrl: standin.url });
    expect((await svix.endpoint.getSecret("tenant-a", endpoint.id)).key).toBe(endpoint.secrets[0]!.secret);

    await deliverer.upsertEndpoint({ ...endpoint, filterTypes: null, url: r!.url("/v2"), disabled: true });
    const after = [...appOf("tenant-a")!.endpoints.values()];
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: svixEndpoints[0]!.id, uid: endpoint.id, url: r!.url("/v2"), filterTypes: null, disabled: true });
    expect(standin.log.filter((e) => e.path.endsWith("/endpoint")).map((e) => e.status)).toEqual([201, 409]);
    expect(standin.log.find((e) => e.method === "PUT" && e.path.includes("/endpoint/"))).toMatchObject({ path: `/api/v1/app/tenant-a/endpoint/${endpoint.id}`, status: 200 });
  });

  it("declares the event catalog, without which Svix refuses endpoint filters", async () => {
    const endpoint = endpointFor(receivers[0]!.url(), { filterTypes: ["job.created"] });
    const refused = await deliverer.upsertEndpoint(endpoint).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<{ detail: Array<{ msg: string }> }>).body.detail[0]!.msg).toMatch(/event types don't exist: `job.created`/);

    await deliverer.syncEventTypes(catalog);
    await deliverer.syncEventTypes(catalog);
    expect(standin.log.filter((e) => e.method === "PUT").map((e) => [e.path, e.status])).toEqual([
      ["/api/v1/event-type/job.created", 201],
      ["/api/v1/event-type/bid.won", 201],
      ["/api/v1/event-type/job.created", 200],
      ["/api/v1/event-type/bid.won", 200],
    ]);
    expect(standin.eventTypes.get("job.created")).toMatchObject({ description: "A job was created", schemas: catalog[0]!.schemas, archived: false });
    await deliverer.upsertEndpoint(endpoint);
    expect([...appOf("tenant-a")!.endpoints.values()][0]!.filterTypes).toEqual(["job.created"]);
  });

  it("refuses an endpoint URL the SSRF policy refuses, before calling Svix", async () => {
    const strict = new SvixDeliverer({ apiKey: standin.token, serverUrl: standin.url, urlPolicy: { allowHttp: false, allowLoopback: false } });
    await expect(strict.upsertEndpoint(endpointFor("https://localhost/hook"))).rejects.toMatchObject({ reason: "loopback" });
    await expect(strict.upsertEndpoint(endpointFor("http://93.184.216.34/hook"))).rejects.toMatchObject({ reason: "scheme" });
    expect(standin.log).toHaveLength(0);
  });

  it("sends a message with event type, event id and the event id as idempotency key; sending again does not duplicate it", async () => {
    const [r] = receivers;
    const endpoint = endpointFor(r!.url());
    await deliverer.upsertEndpoint(endpoint);
    const message = messageFor("tenant-a", "job.created");

    const first = await deliverer.send(message);
    const again = await deliverer.send(message);
    expect(first).toEqual({ via: "svix", providerMessageId: expect.stringMatching(/^msg_/) });
    expect(again).toEqual(first);

    const messages = appOf("tenant-a")!.messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ eventId: message.id, eventType: "job.created", payload: JSON.parse(message.payload) });
    expect(msgPosts().map((e) => [e.idempotencyKey, e.status])).toEqual([
      [message.id, 202],
      [message.id, 202],
    ]);

    // the stand-in delivers like Svix, signed with the secret we mirrored
    const [req] = await r!.waitForRequests(1);
    expect(verifyWithBoth(req!, endpoint.secrets[0]!.secret)).toEqual(JSON.parse(message.payload));
    expect(req!.headers["webhook-id"]).toBe(first.via === "svix" && first.providerMessageId);
  });

  it("resolves to the existing message when Svix already has the event id under another idempotency key", async () => {
    await deliverer.ensureApplication("tenant-a");
    const message = messageFor();
    const svix = new Svix(standin.token, { serverUrl: standin.url });
    const existing = await svix.message.create("tenant-a", { eventType: message.eventType, eventId: message.id, payload: {} });
    const result = await deliverer.send(message);
    expect(result).toEqual({ via: "svix", providerMessageId: existing.id });
    expect(appOf("tenant-a")!.messages).toHaveLength(1);
    expect(msgPosts().map((e) => e.status)).toEqual([202, 409]);
  });

  it("keeps tenants apart: a message reaches only its tenant's subscribed endpoints", async () => {
    const [ra, rb] = receivers;
    await deliverer.syncEventTypes(catalog);
    await deliverer.upsertEndpoint(endpointFor(ra!.url(), { tenantId: "tenant-a", filterTypes: ["job.created"] }));
    await deliverer.upsertEndpoint(endpointFor(rb!.url(), { tenantId: "tenant-b" }));
    await deliverer.send(messageFor("tenant-a", "job.created"));
    await deliverer.send(messageFor("tenant-a", "bid.won"));
    await ra!.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ra!.requests).toHaveLength(1);
    expect(JSON.parse(ra!.requests[0]!.body)).toMatchObject({ type: "job.created", tenantId: "tenant-a" });
    expect(rb!.requests).toHaveLength(0);
    expect(appOf("tenant-b")!.messages).toHaveLength(0);
  });

  it("rotates the mirrored secret with a grace period: both secrets verify deliveries during it", async () => {
    const [r] = receivers;
    const endpoint = endpointFor(r!.url());
    await deliverer.upsertEndpoint(endpoint);
    const rotated = { ...endpoint, secrets: rotateSecrets(endpoint.secrets, new Date()) };
    await deliverer.rotateSecret(rotated);

    const rotate = standin.log.find((e) => e.path.endsWith("/secret/rotate"))!;
    expect(rotate.body).toEqual({ key: rotated.secrets[0]!.secret, gracePeriodSeconds: 86_400 });
    await deliverer.send(messageFor());
    const [req] = await r!.waitForRequests(1);
    expect(verifies(req!, endpoint.secrets[0]!.secret)).toEqual({ standard: true, svix: true });
    expect(verifies(req!, rotated.secrets[0]!.secret)).toEqual({ standard: true, svix: true });
  });

  it("deletes a mirrored endpoint, and deleting it again is fine", async () => {
    const endpoint = endpointFor(receivers[0]!.url());
    await deliverer.upsertEndpoint(endpoint);
    await deliverer.deleteEndpoint("tenant-a", endpoint.id);
    expect(appOf("tenant-a")!.endpoints.size).toBe(0);
    await expect(deliverer.deleteEndpoint("tenant-a", endpoint.id)).resolves.toBeUndefined();
    expect(standin.log.filter((e) => e.method === "DELETE").map((e) => e.status)).toEqual([204, 404]);
  });

  it("recreates a tenant's application that disappeared from Svix", async () => {
    await deliverer.ensureApplication("tenant-a");
    standin.apps.clear();
    const result = await deliverer.send(messageFor());
    expect(result.via).toBe("svix");
    expect(appOf("tenant-a")!.messages).toHaveLength(1);
  });

  it("gives admins an app portal link", async () => {
    const link = await deliverer.appPortalLink("tenant-c");
    expect(link.url).toMatch(/^https:\/\/app\.svix\.com\/login#key=/);
    expect(link.token).toMatch(/^appsk_/);
    expect(appOf("tenant-c")).toBeDefined();
    expect(standin.log.at(-1)).toMatchObject({ method: "POST", path: "/api/v1/auth/app-portal-access/tenant-c", status: 200 });
  });

  it("surfaces a wrong API key as the client's ApiException 401", async () => {
    const wrong = new SvixDeliverer({ apiKey: "testsk_wrong", serverUrl: standin.url, urlPolicy: { allowHttp: true, allowLoopback: true } });
    const err = await wrong.send(messageFor()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(401);
  });
});
