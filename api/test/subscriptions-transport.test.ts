import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Context } from "../src/context.ts";
import type { Prisma } from "../src/db/client.ts";
import { clientIpResolver } from "../src/client-ip.ts";
import { createLogger } from "../src/logger.ts";
import { attachGraphqlWs, LiveClose, type LiveServer } from "../src/ws.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { CREATE_JOB, ok, seedDemo } from "./support/domain.ts";
import { connect, initRaw, metric, subscribe, waitForEvents, waitForOperations, type LiveClient } from "./support/ws.ts";

/** A raw client that must be acknowledged (unless `waitForAck` is false). */
async function rawClient(port: number, tenant: string, options: WebSocket.ClientOptions = {}, waitForAck = true) {
  const raw = await initRaw(port, tenant, { options, waitForAck });
  if (waitForAck) expect(raw.acked).toBe(true);
  return raw;
}

describe("graphql-ws transport: slow consumers", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  let builderId: string;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_BUFFERED_BYTES: String(64 * 1024) });
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  });
  afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.dispose()))));
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("closes a client that stops reading with 1013 and a reason, while another subscriber keeps receiving", async () => {
    const slow = await rawClient(port, "all_county");
    for (let i = 0; i < 40; i++) slow.subscribe(`subscription { jobChanged { job { id notes } } }`);
    const fast = connect(port, "all_county");
    clients.push(fast);
    const fastSub = subscribe(fast, `subscription { jobChanged { job { id } } }`);
    await waitForOperations(port, 41);
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

    const notes = "x".repeat(5_000);
    let mutations = 0;
    while ((await metric(port, "graphql_ws_slow_consumer_closes_total")) < 1) {
      expect(mutations, "the slow consumer was never closed").toBeLessThan(200);
      await ok(t, CREATE_JOB, { input: { builderId, community: `Slow ${mutations}`, scheduledDate: "2026-06-01", notes } });
      mutations++;
    }
    await ok(t, CREATE_JOB, { input: { builderId, community: "After", scheduledDate: "2026-06-01" } });
    mutations++;
    await waitForEvents(fastSub, mutations);
    expect(mutations).toBeGreaterThan(1);

    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slow.closed).toEqual(LiveClose.slowConsumer);
    // its 40 subscriptions ended with it; the fast client's one runs on
    await expect.poll(() => metric(port, "graphql_ws_operations")).toBe(1);
  });

});

describe("graphql-ws transport: keep-alive", () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ WS_KEEPALIVE_MS: "150" });
    await seedDemo(t).then((p) => p.$disconnect());
    ({ port } = await t.app.start());
  });
  afterAll(async () => void (await t?.close()));

  it("pings every WS_KEEPALIVE_MS and terminates a socket that does not answer", async () => {
    // a deaf socket may be terminated before its connection is even acknowledged (a slow machine): not waited for
    const before = await metric(port, "graphql_ws_dead_sockets_total");
    const deaf = await rawClient(port, "all_county", { autoPong: false }, false);
    const healthy = await rawClient(port, "all_county");
    expect((await deaf.closed).code).toBe(1006); // terminated: no close frame
    expect(await metric(port, "graphql_ws_dead_sockets_total")).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 600)); // four more intervals
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
    healthy.socket.close();
  });
});

describe("graphql-ws transport: credentials that expire", () => {
  let t: TestApp;
  let server: Server;
  let live: LiveServer;
  let port: number;
  let expiresIn = 0;
  beforeAll(async () => {
    t = await startTestApp();
    await seedDemo(t).then((p) => p.$disconnect());
    // the app's own context path (yoga's context factory → createContext), with the credentials' expiry moved
    const yoga = t.app.yoga;
    server = createServer();
    live = attachGraphqlWs(server, yoga, {
      env: t.env,
      log: createLogger("silent"),
      clientIp: clientIpResolver(t.env.TRUST_PROXY),
      createContext: async (input) => {
        const ctx = (await yoga.getEnveloped({ request: new Request("http://localhost/graphql", { headers: input.headers }), ...input, params: {} }).contextFactory()) as Context;
        return { ...ctx, authExpiresAt: new Date(Date.now() + expiresIn) };
      },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await live?.close();
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  it("closes the socket with 4403 'token expired' when the credentials expire", async () => {
    expiresIn = 400;
    const c = connect(port, "all_county");
    subscribe(c, `subscription { jobChanged { job { id } } }`);
    const started = Date.now();
    expect(await c.closed).toEqual(LiveClose.tokenExpired);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await c.dispose();
  });

  it("refuses credentials that have already expired", async () => {
    expiresIn = -1_000;
    const c = connect(port, "all_county");
    expect(await c.closed).toEqual({ code: LiveClose.unauthorized, reason: "invalid or expired token" });
    await c.dispose();
  });
});
