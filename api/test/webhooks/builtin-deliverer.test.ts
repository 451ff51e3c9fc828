import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BuiltinDeliverer, WEBHOOK_USER_AGENT } from "../../src/webhooks/builtin-deliverer.ts";
import type { WebhookConfig } from "../../src/webhooks/config.ts";
import { endpointWantsEvent, type DeliveryTarget, type EndpointDelivery, type WebhookEndpointConfig, type WebhookMessage } from "../../src/webhooks/deliverer.ts";
import { RESPONSE_EXCERPT_BYTES } from "../../src/webhooks/http-post.ts";
import { generateWebhookSecret, rotateSecrets } from "../../src/webhooks/signing.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { configFrom, endpointFor, MemoryRecorder, messageFor, sleep, verifies, verifyWithBoth } from "./helpers.ts";

const HOUR = 3_600_000;
let receivers: WebhookReceiver[] = [];
let deliverers: BuiltinDeliverer[] = [];
let recorder: MemoryRecorder;

beforeEach(() => {
  recorder = new MemoryRecorder();
});
afterEach(async () => {
  await Promise.all(deliverers.map((d) => d.close()));
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  deliverers = [];
});

async function receiver() {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}
function deliverer(vars: Record<string, string> = {}, patch: (c: WebhookConfig) => WebhookConfig = (c) => c) {
  const d = new BuiltinDeliverer({ config: patch(configFrom(vars)), recorder });
  deliverers.push(d);
  return d;
}
async function sendOne(d: BuiltinDeliverer, message: WebhookMessage, endpoint: WebhookEndpointConfig, attempt = 1): Promise<EndpointDelivery> {
  const result = await d.send(message, [{ endpoint, attempt }]);
  if (result.via !== "builtin") throw new Error("expected a built-in result");
  return result.deliveries[0]!;
}

describe("built-in delivery", () => {
  it("POSTs the envelope signed so that standardwebhooks and svix both verify it, and records the attempt", async () => {
    const r = await receiver();
    r.respondWith(200, "thanks");
    const endpoint = endpointFor(r.url("/hooks/h2o"));
    const message = messageFor();
    const d = deliverer();
    await d.upsertEndpoint(endpoint);

    const delivery = await sendOne(d, message, endpoint);

    expect(delivery).toMatchObject({ endpointId: endpoint.id, attempt: 1, status: "succeeded", nextAttemptAt: null });
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req).toMatchObject({ method: "POST", path: "/hooks/h2o", body: message.payload });
    expect(req.headers).toMatchObject({ "content-type": "application/json", "user-agent": WEBHOOK_USER_AGENT, "webhook-id": message.id });
    expect(verifyWithBoth(req, endpoint.secrets[0]!.secret)).toEqual(JSON.parse(message.payload));
    expect(JSON.parse(req.body)).toMatchObject({ id: message.id, type: "job.created", version: 1, tenantId: "tenant-a", data: { jobId: "job-1" } });
    expect(recorder.attempts).toEqual([
      expect.objectContaining({ messageId: message.id, tenantId: "tenant-a", endpointId: endpoint.id, attempt: 1, statusCode: 200, responseBodyExcerpt: "thanks", error: null, success: true }),
    ]);
    expect(recorder.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("delivers one message to several endpoints at once, each signed with its own secret", async () => {
    const [a, b] = [await receiver(), await receiver()];
    const [ea, eb] = [endpointFor(a.url()), endpointFor(b.url())];
    const message = messageFor();
    const result = await deliverer().send(message, [ea, eb].map((endpoint) => ({ endpoint, attempt: 1 })));
    expect(result.via === "builtin" && result.deliveries.map((x) => x.status)).toEqual(["succeeded", "succeeded"]);
    expect(verifies(a.requests[0]!, ea.secrets[0]!.secret)).toEqual({ standard: true, svix: true });
    expect(verifies(a.requests[0]!, eb.secrets[0]!.secret)).toEqual({ standard: false, svix: false });
    expect(verifies(b.requests[0]!, eb.secrets[0]!.secret)).toEqual({ standard: true, svix: true });
  });

  it("chooses endpoints by filter and enabled state (for the fan-out), and refuses another tenant's endpoint", async () => {
    const r = await receiver();
    expect(endpointWantsEvent(endpointFor(r.url(), { filterTypes: ["job.created"] }), "job.created")).toBe(true);
    expect(endpointWantsEvent(endpointFor(r.url(), { filterTypes: ["bid.won"] }), "job.created")).toBe(false);
    expect(endpointWantsEvent(endpointFor(r.url(), { filterTypes: [] }), "job.created")).toBe(true);
    expect(endpointWantsEvent(endpointFor(r.url(), { disabled: true }), "job.created")).toBe(false);
    const other = endpointFor(r.url(), { tenantId: "tenant-b" });
    await expect(deliverer().send(messageFor("tenant-a"), [{ endpoint: other, attempt: 1 }])).rejects.toThrow(/another tenant/);
    expect(r.requests).toHaveLength(0);
  });

  it("signs with the old and the new secret during a rotation, and with the new one only after", async () => {
    const r = await receiver();
    const old = generateWebhookSecret();
    const rotated = rotateSecrets([{ secret: old, expiresAt: null }], new Date());
    const fresh = rotated[0]!.secret;
    const d = deliverer();

    await sendOne(d, messageFor(), endpointFor(r.url(), { secrets: rotated }));
    expect(r.requests[0]!.headers["webhook-signature"]!.toString().split(" ")).toHaveLength(2);
    expect(verifies(r.requests[0]!, old)).toEqual({ standard: true, svix: true });
    expect(verifies(r.requests[0]!, fresh)).toEqual({ standard: true, svix: true });

    const expired = rotateSecrets([{ secret: old, expiresAt: null }], new Date(Date.now() - 25 * HOUR), fresh);
    await sendOne(d, messageFor(), endpointFor(r.url(), { secrets: expired }));
    expect(r.requests[1]!.headers["webhook-signature"]!.toString().split(" ")).toHaveLength(1);
    expect(verifies(r.requests[1]!, old)).toEqual({ standard: false, svix: false });
    expect(verifies(r.requests[1]!, fresh)).toEqual({ standard: true, svix: true });
  });

  it("gets a message through on the third attempt to a receiver that fails twice (schedule shortened by config)", async () => {
    const r = await receiver();
    r.failNext(2, 500, "down for maintenance");
    const endpoint = endpointFor(r.url());
    const message = messageFor();
    const d = deliverer({ WEBHOOK_RETRY_SCHEDULE_MS: "0,60,120" });

    // What the worker task does: attempt, record, reschedule at nextAttemptAt.
    const outcomes: EndpointDelivery[] = [];
    let target: DeliveryTarget = { endpoint, attempt: 1 };
    for (;;) {
      const outcome = await sendOne(d, message, target.endpoint, target.attempt);
      outcomes.push(outcome);
      if (!outcome.nextAttemptAt) break;
      await sleep(outcome.nextAttemptAt.getTime() - Date.now());
      target = { endpoint, attempt: target.attempt + 1 };
    }

    expect(outcomes.map((o) => o.status)).toEqual(["retrying", "retrying", "succeeded"]);
    expect(r.requests).toHaveLength(3);
    expect(new Set(r.requests.map((q) => q.headers["webhook-id"]))).toEqual(new Set([message.id]));
    for (const q of r.requests) verifyWithBoth(q, endpoint.secrets[0]!.secret);
    expect(r.requests[1]!.receivedAt - r.requests[0]!.receivedAt).toBeGreaterThanOrEqual(60 * 0.8 - 5);
    expect(r.requests[2]!.receivedAt - r.requests[1]!.receivedAt).toBeGreaterThanOrEqual(120 * 0.8 - 5);
    expect(recorder.attempts.map((a) => [a.attempt, a.statusCode, a.success])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 204, true],
    ]);
    expect(recorder.attempts[0]!.responseBodyExcerpt).toBe("down for maintenance");
  });

  it("marks the message failed after the last attempt of the schedule", async () => {
    const r = await receiver();
    r.respondWith(503);
    const endpoint = endpointFor(r.url());
    const message = messageFor();
    const d = deliverer({ WEBHOOK_RETRY_SCHEDULE_MS: "0,10" });
    expect(await sendOne(d, message, endpoint, 1)).toMatchObject({ status: "retrying" });
    expect(await sendOne(d, message, endpoint, 2)).toMatchObject({ status: "failed", nextAttemptAt: null });
  });

  it("gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS", async () => {
    const r = await receiver();
    r.hang();
    const d = deliverer({ WEBHOOK_TIMEOUT_MS: "250" });
    const started = Date.now();
    const outcome = await sendOne(d, messageFor(), endpointFor(r.url()));
    const took = Date.now() - started;
    expect(outcome.status).toBe("retrying");
    expect(outcome.record).toMatchObject({ statusCode: null, success: false, error: "timed out after 250 ms" });
    expect(outcome.record!.latencyMs).toBeGreaterThanOrEqual(240);
    expect(took).toBeLessThan(2_000);
    expect(r.requests).toHaveLength(1);
  });

  it("keeps at most 1 KiB of the response body", async () => {
    const r = await receiver();
    r.respondWith(200, "ü".repeat(5_000));
    const outcome = await sendOne(deliverer(), messageFor(), endpointFor(r.url()));
    const excerpt = outcome.record!.responseBodyExcerpt!;
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(excerpt).toBe("ü".repeat(512));
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    const [r, target] = [await receiver(), await receiver()];
    r.respondWith(302, "", { location: target.url("/elsewhere") });
    const outcome = await sendOne(deliverer(), messageFor(), endpointFor(r.url()));
    expect(outcome).toMatchObject({ status: "retrying", record: { statusCode: 302, success: false } });
    await sleep(50);
    expect(target.requests).toHaveLength(0);
  });
});

describe("circuit breaker, concurrency and rate limits per endpoint", () => {
  it("opens the circuit after consecutive failures, then lets one probe through after a while", async () => {
    const r = await receiver();
    r.respondWith(500);
    const endpoint = endpointFor(r.url());
    const d = deliverer({ WEBHOOK_BREAKER_THRESHOLD: "3", WEBHOOK_BREAKER_OPEN_MS: "300" });

    for (let i = 1; i <= 3; i++) expect((await sendOne(d, messageFor(), endpoint)).record!.statusCode).toBe(500);
    const refused = await sendOne(d, messageFor(), endpoint);
    expect(refused).toMatchObject({ status: "retrying", record: { statusCode: null, success: false } });
    expect(refused.record!.error).toMatch(/circuit open/);
    expect(r.requests).toHaveLength(3);
    expect(recorder.attempts).toHaveLength(4);

    // another endpoint is not affected
    const healthy = await receiver();
    expect((await sendOne(d, messageFor(), endpointFor(healthy.url()))).status).toBe("succeeded");

    await sleep(350);
    r.respondWith(204);
    expect((await sendOne(d, messageFor(), endpoint)).status).toBe("succeeded");
    expect((await sendOne(d, messageFor(), endpoint)).status).toBe("succeeded");
    expect(r.requests).toHaveLength(5);
  });

  it("holds the per-endpoint concurrency limit, and a slow endpoint does not delay another one", async () => {
    const [slow, fast] = [await receiver(), await receiver()];
    slow.delay(800);
    const d = deliverer({ WEBHOOK_ENDPOINT_CONCURRENCY: "2" });
    const slowEndpoint = endpointFor(slow.url());
    const pending = Array.from({ length: 5 }, () => sendOne(d, messageFor(), slowEndpoint));
    await slow.waitForRequests(2);

    const started = Date.now();
    expect((await sendOne(d, messageFor(), endpointFor(fast.url()))).status).toBe("succeeded");
    expect(Date.now() - started).toBeLessThan(400);
    expect(slow.inFlight).toBe(2);

    const outcomes = await Promise.all(pending);
    expect(slow.maxInFlight).toBe(2);
    expect(slow.requests).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === "succeeded")).toHaveLength(2);
    const deferred = outcomes.filter((o) => o.status === "deferred");
    expect(deferred).toHaveLength(3);
    for (const o of deferred) {
      expect(o.record).toBeNull();
      expect(o.attempt).toBe(1);
      expect(o.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() - 1_000);
    }
    expect(recorder.attempts).toHaveLength(3);
  });

  it("defers what exceeds the endpoint's rate limit (messages per second) until the next second", async () => {
    const r = await receiver();
    const endpoint = endpointFor(r.url(), { rateLimitPerSecond: 3 });
    const d = deliverer();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => sendOne(d, messageFor(), endpoint)));
    expect(outcomes.filter((o) => o.status === "succeeded")).toHaveLength(3);
    const deferred = outcomes.filter((o) => o.status === "deferred");
    expect(deferred).toHaveLength(2);
    for (const o of deferred) expect(o.nextAttemptAt!.getTime() - Date.now()).toBeLessThanOrEqual(1_000);
    expect(r.requests).toHaveLength(3);

    await sleep(Math.max(...deferred.map((o) => o.nextAttemptAt!.getTime())) - Date.now() + 20);
    expect((await sendOne(d, messageFor(), endpoint)).status).toBe("succeeded");
  });
});

describe("SSRF at delivery time", () => {
  it("refuses loopback when the allowance is off, without sending a byte", async () => {
    const r = await receiver();
    const d = deliverer({ WEBHOOK_ALLOW_LOOPBACK: "false" });
    for (const url of [r.url(), `http://localhost:${r.port}/webhook`]) {
      await expect(d.upsertEndpoint(endpointFor(url))).rejects.toMatchObject({ reason: "loopback" });
      const outcome = await sendOne(d, messageFor(), endpointFor(url));
      expect(outcome).toMatchObject({ status: "retrying", record: { statusCode: null, success: false } });
      expect(outcome.record!.error).toMatch(/loopback/);
    }
    expect(r.requests).toHaveLength(0);
  });

  it("refuses http in production mode", async () => {
    const d = deliverer({ NODE_ENV: "production", DATABASE_URL: "postgres://db/x" });
    const outcome = await sendOne(d, messageFor(), endpointFor("http://93.184.216.34/hook"));
    expect(outcome.record!.error).toMatch(/must use https/);
  });

  it("re-resolves at delivery: a host that rebinds to 127.0.0.1 after creation is refused", async () => {
    const r = await receiver();
    let answer = "93.184.216.34";
    const d = deliverer({ WEBHOOK_ALLOW_LOOPBACK: "false" }, (c) => ({
      ...c,
      urlPolicy: { ...c.urlPolicy, resolve: async () => [{ address: answer, family: 4 }] },
    }));
    const endpoint = endpointFor(`http://partner.example:${r.port}/webhook`);
    await d.upsertEndpoint(endpoint);
    answer = "127.0.0.1";
    const outcome = await sendOne(d, messageFor(), endpoint);
    expect(outcome.record!.error).toMatch(/partner\.example resolves to a loopback address/);
    expect(r.requests).toHaveLength(0);
  });

  it("connects to the address it checked, keeping the host name in the Host header", async () => {
    const r = await receiver();
    const d = deliverer({}, (c) => ({ ...c, urlPolicy: { ...c.urlPolicy, resolve: async () => [{ address: "127.0.0.1", family: 4 }] } }));
    const outcome = await sendOne(d, messageFor(), endpointFor(`http://partner.example:${r.port}/webhook`));
    expect(outcome.status).toBe("succeeded");
    expect(r.requests[0]!.headers.host).toBe(`partner.example:${r.port}`);
  });
});
