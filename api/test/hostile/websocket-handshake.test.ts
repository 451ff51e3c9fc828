import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { CREATE_JOB, ok, seedDemo } from "../support/domain.ts";
import { connect, handshake, metric, subscribe, waitForEvents, waitForOperations } from "../support/ws.ts";

describe("hostile clients: WebSocket handshakes of any shape are refused cleanly", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });
  const createJob = async () => {
    const builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
    return (await ok(t, CREATE_JOB, { input: { builderId, community: "Handshake Hills", scheduledDate: "2026-05-01" } })).createJob.job.id as string;
  };

  it.each([
    ["no subprotocol", undefined],
    ["the legacy graphql-ws subprotocol (subscriptions-transport-ws)", ["graphql-ws"]],
    ["an unknown subprotocol", ["mqtt"]],
    ["several unsupported subprotocols", ["graphql-ws", "soap", "x"]],
  ])("%s: closed with 4406 naming graphql-transport-ws, and the API keeps serving", async (_name, protocols) => {
    const closed = await handshake(port, protocols);
    expect(closed).toMatchObject({ code: 4406, reason: expect.stringMatching(/graphql-transport-ws/) });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it("a burst of bad handshakes beside a good subscriber: every bad one is refused, the good one gets its event", async () => {
    const live = connect(port, "all_county");
    try {
      const sub = subscribe(live, `subscription { jobChanged { job { id } } }`);
      await waitForOperations(port, 1);
      const bad = await Promise.all(Array.from({ length: 30 }, (_, i) => handshake(port, i % 3 === 0 ? undefined : i % 3 === 1 ? ["graphql-ws"] : ["nope"])));
      expect(new Set(bad.map((c) => c.code))).toEqual(new Set([4406]));
      const id = await createJob();
      await waitForEvents(sub, 1);
      expect(sub.events[0].jobChanged.job.id).toBe(id);
      expect(await metric(port, 'graphql_ws_refused_handshakes_total{reason="subprotocol"}')).toBeGreaterThanOrEqual(30);
    } finally {
      await live.dispose();
    }
  });
});
