import { randomUUID } from "node:crypto";
import { CloseCode } from "graphql-ws";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoUser } from "../../../prisma/seed.ts";
import { signAccessToken } from "../../src/auth/tokens.ts";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "../support/app.ts";
import { as, CREATE_JOB, ok, seedDemo } from "../support/domain.ts";
import { connect, initRaw, metric, openRaw, subscribe, waitForEvents, waitForOperations, type LiveClient, type Subscription } from "../support/ws.ts";

/**
 * The hostile-client corpus over WebSocket (issue 12, item 7): each case is played on raw sockets against the real
 * server and must end in its defined close code (or error), while a real graphql-ws client subscribed for the whole
 * file keeps getting its events. Handshakes of any shape are in websocket-handshake.test.ts, subscription, message
 * and per-principal floods in websocket-limits.test.ts, slow readers and dead peers in subscriptions-transport.test.ts.
 */
describe("hostile clients over WebSocket: every case gets its close code, and a subscriber is served meanwhile", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  let builderId: string;
  let normal: LiveClient;
  let events: Subscription;
  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES: "100000", WS_MAX_CONNECTIONS_PER_IP: "20" });
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
    normal = connect(port, "all_county");
    events = subscribe(normal, `subscription { jobChanged { job { community } } }`);
    for (let i = 0; (await metric(port, "graphql_ws_operations")) < 1; i++) {
      if (i > 200) throw new Error("the normal subscriber never started");
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  afterAll(async () => {
    await normal?.dispose();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** A change made after the hostile case reaches the normal subscriber. */
  async function normalClientStillServed(label: string) {
    const before = events.events.length;
    await ok(t, CREATE_JOB, { input: { builderId, community: label, scheduledDate: "2026-07-01" } });
    await waitForEvents(events, before + 1);
    expect(events.events.at(-1).jobChanged.job.community).toBe(label);
  }

  it.each([
    ["text that is not JSON", "hello"],
    ["JSON that is not a message", JSON.stringify([1, 2, 3])],
    ["a message of an unknown type", JSON.stringify({ type: "nope" })],
    ["a binary frame of garbage", Buffer.from([0, 1, 2, 0xff, 0xfe])],
    ["a subscribe without an id", JSON.stringify({ type: "subscribe", payload: { query: "subscription { jobChanged { type } }" } })],
    ["an init whose payload is not an object", JSON.stringify({ type: "connection_init", payload: "Bearer x" })],
  ])("garbage, %s: closed with 4400 Bad Request", async (name, frame) => {
    const raw = await openRaw(port);
    raw.send(frame);
    expect((await raw.closed).code).toBe(CloseCode.BadRequest);
    await normalClientStillServed(`garbage ${name}`);
  });

  it("garbage after the acknowledgement: 4400, and the socket's subscription ends with it", async () => {
    const raw = await initRaw(port, "all_county", { role: "admin" });
    expect(raw.acked).toBe(true);
    raw.subscribe(`subscription { jobChanged { type } }`);
    await waitForOperations(port, 2);
    raw.send(Buffer.from("\u0000\u0001garbage"));
    expect((await raw.closed).code).toBe(CloseCode.BadRequest);
    await expect.poll(() => metric(port, "graphql_ws_operations")).toBe(1);
    await normalClientStillServed("garbage after ack");
  });

  it("an oversized frame (past MAX_BODY_BYTES): closed with 1009 before it is parsed", async () => {
    const raw = await initRaw(port, "all_county", { role: "admin" });
    raw.send({ id: "1", type: "subscribe", payload: { query: `subscription { jobChanged { type } } # ${"x".repeat(150_000)}` } });
    expect((await raw.closed).code).toBe(1009);
    await normalClientStillServed("oversized frame");
  });

  it("subscribe before connection_init: 4401 Unauthorized", async () => {
    const raw = await openRaw(port);
    raw.send({ id: "1", type: "subscribe", payload: { query: "subscription { jobChanged { type } }" } });
    expect((await raw.closed).code).toBe(CloseCode.Unauthorized);
    await normalClientStillServed("subscribe before init");
  });

  it("a second connection_init: 4429 Too many initialisation requests", async () => {
    const raw = await initRaw(port, "all_county", { role: "admin" });
    expect(raw.acked).toBe(true);
    raw.send({ type: "connection_init", payload: as("all_county", "admin") });
    expect((await raw.closed).code).toBe(CloseCode.TooManyInitialisationRequests);
    await normalClientStillServed("double init");
  });

  it("a duplicate subscription id: 4409 Subscriber already exists", async () => {
    const raw = await initRaw(port, "all_county", { role: "admin" });
    raw.subscribe(`subscription { jobChanged { type } }`, "same");
    raw.subscribe(`subscription { bidChanged { type } }`, "same");
    expect(await raw.closed).toEqual({ code: CloseCode.SubscriberAlreadyExists, reason: "Subscriber for same already exists" });
    await normalClientStillServed("duplicate id");
  });

  it("an init with refused credentials: 4401 Unauthorized, whatever is wrong with them", async () => {
    const claims = { sub: demoUser("all_county", "owner").id, sid: randomUUID() };
    const [header, body] = signAccessToken(claims, TEST_JWT_SECRET).split(".");
    const { createApiKey } = await ok(t, 'mutation { createApiKey(input: { name: "soon revoked", scopes: ["read:jobs"] }) { key apiKey { id } } }');
    await ok(t, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: createApiKey.apiKey.id });
    const refused: Array<[string, Record<string, string>, RegExp]> = [
      ["a bad signature", { authorization: `Bearer ${header}.${body}.${Buffer.from("forged").toString("base64url")}` }, /invalid or expired token/],
      ["alg none", { authorization: `Bearer ${jwt.sign({ sid: claims.sid }, "", { algorithm: "none", subject: claims.sub, issuer: "h2o-acp", audience: "h2o-acp-api" })}` }, /invalid or expired token/],
      ["an expired token", { authorization: `Bearer ${signAccessToken(claims, TEST_JWT_SECRET, -60)}` }, /invalid or expired token/],
      ["garbage", { authorization: "Bearer a.b.c" }, /invalid or expired token/],
      ["a tampered token", { authorization: `${as("all_county").authorization}x` }, /invalid or expired token/],
      ["an unknown API key", { "x-api-key": "h2okey_nope" }, /invalid, expired or revoked API key/],
      ["a revoked API key", { authorization: `Bearer ${createApiKey.key}` }, /invalid, expired or revoked API key/],
    ];
    for (const [name, payload, reason] of refused) {
      const raw = await openRaw(port);
      raw.send({ type: "connection_init", payload });
      const closed = await raw.closed;
      expect(closed.code, name).toBe(CloseCode.Unauthorized);
      expect(closed.reason, name).toMatch(reason);
    }
    await normalClientStillServed("forged init");
  });

  it("an init without credentials, or for a tenant the caller is not in: 4403 Forbidden", async () => {
    for (const payload of [undefined, {}, { ...as("h2o"), "x-tenant-id": "all_county" }]) {
      const raw = await openRaw(port);
      raw.send({ type: "connection_init", ...(payload ? { payload } : {}) });
      expect((await raw.closed).code, JSON.stringify(payload)).toBe(CloseCode.Forbidden);
    }
    await normalClientStillServed("init without credentials");
  });

  it("operations that fail stay that operation's error: the socket stays open and serves the next one", async () => {
    const raw = await initRaw(port, "all_county", { role: "admin" });
    raw.subscribe("subscription { nope }", "bad-field");
    raw.subscribe("subscription {", "bad-syntax");
    raw.send({ id: "unknown", type: "complete" }); // completing what never ran is ignored
    raw.subscribe("{ viewer { email } }", "query");
    await expect.poll(() => raw.messages.filter((m) => m.type === "error").map((m) => m.id).sort()).toEqual(["bad-field", "bad-syntax"]);
    await expect.poll(() => raw.messages.find((m) => m.type === "next" && m.id === "query")?.payload.data.viewer.email).toMatch(/@/);
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.socket.close();
    await normalClientStillServed("failing operations");
  });

  it("a socket that never sends connection_init is closed with 4408 after graphql-ws's 3 s wait", async () => {
    const raw = await openRaw(port);
    const started = Date.now();
    expect((await raw.closed).code).toBe(CloseCode.ConnectionInitialisationTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    await normalClientStillServed("no init");
  });

  it("a connection flood from one address: past WS_MAX_CONNECTIONS_PER_IP each is closed with 1008; other addresses connect", async () => {
    const flood = await Promise.all(Array.from({ length: 40 }, () => openRaw(port, "graphql-transport-ws", { headers: { "x-forwarded-for": "203.0.113.7" } }).catch(() => null)));
    const refused = await Promise.all(flood.map((s) => (s ? Promise.race([s.closed, new Promise((r) => setTimeout(() => r(null), 500))]) : null)));
    expect(refused.filter((c) => (c as { code?: number } | null)?.code === 1008)).toHaveLength(20);
    const fromElsewhere = await initRaw(port, "all_county", { role: "dispatcher" });
    expect(fromElsewhere.acked).toBe(true);
    for (const s of flood) s?.socket.terminate();
    fromElsewhere.socket.close();
    await normalClientStillServed("connection flood");
  });
});
