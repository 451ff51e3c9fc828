import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, seedDemo } from "../support/domain.ts";
import { connect, initRaw, openRaw, subscribe, waitForOperations, type LiveClient } from "../support/ws.ts";

const raw = (port: number, tenant: string, role: Parameters<typeof as>[1] = "owner") => initRaw(port, tenant, { role });

describe("hostile clients: WebSocket limits per socket, per address and per principal", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  const open: Array<{ socket: WebSocket }> = [];
  const lives: LiveClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_SUBSCRIPTIONS_PER_SOCKET: "3", WS_MAX_CONNECTIONS_PER_IP: "6", WS_MAX_CONNECTIONS_PER_PRINCIPAL: "2", WS_MAX_MESSAGES_PER_SECOND: "20" });
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
  });
  const closeAll = async () => {
    for (const { socket } of open.splice(0)) socket.terminate();
    await Promise.all(lives.splice(0).map((l) => l.dispose()));
    await new Promise((r) => setTimeout(r, 100)); // the server counts them out on close
  };
  afterAll(async () => {
    await closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("refuses a subscription past WS_MAX_SUBSCRIPTIONS_PER_SOCKET with RATE_LIMITED; completing one makes room", async () => {
    const live = connect(port, "all_county");
    lives.push(live);
    const subs = [1, 2, 3].map(() => subscribe(live, `subscription { jobChanged { type } }`));
    await waitForOperations(port, 3);
    const fourth = subscribe(live, `subscription { bidChanged { type } }`);
    await expect.poll(() => fourth.errors.length).toBe(1);
    expect(JSON.stringify(fourth.errors[0])).toMatch(/RATE_LIMITED/);
    expect(subs.every((s) => s.errors.length === 0)).toBe(true);
    subs[0]!.stop();
    const fifth = subscribe(live, `subscription { bidChanged { type } }`);
    await waitForOperations(port, 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(fifth.errors).toEqual([]);
    await closeAll();
  });

  it("closes a principal's connection past WS_MAX_CONNECTIONS_PER_PRINCIPAL with 1008; another user still connects", async () => {
    const a = await raw(port, "all_county", "owner");
    const b = await raw(port, "all_county", "owner");
    open.push(a, b);
    expect([a.acked, b.acked]).toEqual([true, true]);
    const c = await raw(port, "all_county", "owner");
    open.push(c);
    expect(c.acked).toBe(false);
    expect(await c.closed).toEqual({ code: 1008, reason: "too many connections for this user or API key" });
    const other = await raw(port, "all_county", "dispatcher");
    open.push(other);
    expect(other.acked).toBe(true);
    a.socket.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = await raw(port, "all_county", "owner");
    open.push(again);
    expect(again.acked).toBe(true);
    await closeAll();
  });

  it("closes connections past WS_MAX_CONNECTIONS_PER_IP with 1008 before any authentication", async () => {
    const roles = ["owner", "admin", "dispatcher", "estimator", "marketer", "viewer"] as const;
    for (const role of roles) open.push(await raw(port, "all_county", role));
    const seventh = await openRaw(port);
    expect(await seventh.closed).toEqual({ code: 1008, reason: "too many connections from this address" });
    await closeAll();
    const after = await raw(port, "all_county", "owner");
    open.push(after);
    expect(after.acked).toBe(true);
    await closeAll();
  });

  it("closes a socket that floods messages (past WS_MAX_MESSAGES_PER_SECOND) with 1008, and only that one", async () => {
    const flooder = await raw(port, "all_county", "owner");
    const calm = connect(port, "all_county", {});
    lives.push(calm);
    open.push(flooder);
    for (let i = 0; i < 50; i++) flooder.socket.send(JSON.stringify({ type: "ping" }));
    expect(await flooder.closed).toEqual({ code: 1008, reason: "message rate limit exceeded" });
    const sub = subscribe(calm, `subscription { jobChanged { type } }`);
    await waitForOperations(port, 1);
    expect(sub.errors).toEqual([]);
    await closeAll();
  });
});
