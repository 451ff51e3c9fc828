import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, ok, seedDemo } from "../support/domain.ts";

const DASHBOARD = "http://127.0.0.1:3000";

describe("cross-site requests: CORS for allowed origins only, no cookie-authenticated simple requests, no SSE door", () => {
  let t: TestApp;
  let prisma: Prisma;
  let cookie: string;
  let builderId: string;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${DASHBOARD},http://localhost:5173` });
    prisma = await seedDemo(t);
    cookie = `h2o_access=${as("all_county").authorization.slice("Bearer ".length)}`;
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const call = (init: { method?: string; headers?: Record<string, string>; body?: string }) =>
    t.app.yoga.fetch("http://localhost/graphql", { method: init.method ?? "POST", headers: { "x-tenant-id": "all_county", ...init.headers }, body: init.body });
  const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
  const jobCount = () => prisma.job.count();

  it("answers an allowed origin with itself and credentials, and a disallowed one with no CORS header at all", async () => {
    for (const method of ["OPTIONS", "POST"]) {
      const headers = { origin: DASHBOARD, "content-type": "application/json", "access-control-request-method": "POST" };
      const allowed = await call({ method, headers, body: method === "POST" ? JSON.stringify({ query: "{ __typename }" }) : undefined });
      expect(allowed.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
      expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
      const evil = await call({ method, headers: { ...headers, origin: "https://evil.example" }, body: method === "POST" ? JSON.stringify({ query: "{ __typename }" }) : undefined });
      expect(corsHeaders(evil)).toEqual([]);
      expect(evil.headers.get("vary")).toMatch(/origin/i);
      const nullOrigin = await call({ method, headers: { ...headers, origin: "null" }, body: method === "POST" ? JSON.stringify({ query: "{ __typename }" }) : undefined });
      expect(corsHeaders(nullOrigin)).toEqual([]);
    }
  });

  it("refuses a cookie-authenticated form, multipart or text/plain post with 415 FORBIDDEN, and changes nothing", async () => {
    const before = await jobCount();
    const mutation = `mutation { createJob(input: { builderId: "${builderId}", community: "Forged", scheduledDate: "2026-05-01" }) { job { id } } }`;
    const bodies: Array<[string, string]> = [
      ["application/x-www-form-urlencoded", `query=${encodeURIComponent(mutation)}`],
      ["text/plain", JSON.stringify({ query: mutation })],
      ["text/plain;charset=UTF-8", JSON.stringify({ query: mutation })],
      ["multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: mutation })}\r\n--x--\r\n`],
    ];
    for (const [contentType, body] of bodies) {
      const res = await call({ headers: { cookie, origin: "https://evil.example", "content-type": contentType }, body });
      expect(res.status, contentType).toBe(415);
      expect((await res.json()).errors[0].extensions.code).toBe("FORBIDDEN");
    }
    expect(await jobCount()).toBe(before);
    // the same mutation as JSON with the cookie is the dashboard's own request: it runs
    const json = await call({ headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ query: mutation }) });
    expect((await json.json()).data.createJob.job.id).toBeTruthy();
    expect(await jobCount()).toBe(before + 1);
  });

  it("serves cookie-authenticated GET queries (they cannot mutate) and bearer-authenticated requests of any accepted shape", async () => {
    const get = await t.app.yoga.fetch(`http://localhost/graphql?query=${encodeURIComponent("{ viewer { email } }")}`, { headers: { cookie, "x-tenant-id": "all_county", accept: "application/json" } });
    expect((await get.json()).data.viewer.email).toMatch(/@/);
    const form = await call({ headers: { ...as("all_county"), "content-type": "application/x-www-form-urlencoded" }, body: `query=${encodeURIComponent("{ __typename }")}` });
    expect(form.status).toBe(200);
  });

  it("turns server-sent events away (406, naming the WebSocket protocol) for subscriptions and queries alike", async () => {
    for (const query of ["subscription { jobChanged { type } }", "{ __typename }"]) {
      const res = await call({ headers: { ...as("all_county"), "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify({ query }) });
      expect(res.status).toBe(406);
      const body = await res.json();
      expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/graphql-transport-ws/), extensions: { code: "BAD_USER_INPUT" } });
    }
  });

  // urql (the dashboard's client, in the browser and on its server) lists text/event-stream among the types it
  // accepts on every request: its queries and mutations are answered as JSON, its subscriptions over HTTP refused.
  it("answers a query from a client that also accepts event streams as JSON, and refuses its subscription over HTTP", async () => {
    const accept = "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed";
    const query = await call({ headers: { ...as("all_county"), "content-type": "application/json", accept }, body: JSON.stringify({ query: "{ viewer { email } }" }) });
    expect(query.status).toBe(200);
    expect(query.headers.get("content-type")).toMatch(/json/);
    expect((await query.json()).data.viewer.email).toMatch(/@/);
    const subscription = await call({ headers: { ...as("all_county"), "content-type": "application/json", accept }, body: JSON.stringify({ query: "subscription { jobChanged { type } }" }) });
    expect(subscription.status).toBe(406);
    expect((await subscription.json()).errors[0]).toMatchObject({ message: expect.stringMatching(/graphql-transport-ws/), extensions: { code: "BAD_USER_INPUT" } });
  });
});
