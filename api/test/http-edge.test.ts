import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";

describe("the HTTP edge", () => {
  let t: TestApp;
  let url: string;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES: "1000000" });
    ({ url } = await t.app.start());
    base = url.replace("/graphql", "");
  });
  afterAll(() => t.close());

  const post = (body: BodyInit, contentType = "application/json", accept = "application/graphql-response+json") =>
    fetch(url, { method: "POST", headers: { "content-type": contentType, accept }, body });

  it("answers { __typename } and serverInfo", async () => {
    const res = await post(JSON.stringify({ query: "{ __typename serverInfo { version } }" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: { __typename: "Query", serverInfo: { version: expect.any(String) } },
      extensions: { cost: { requestedQueryCost: 3, throttleStatus: expect.objectContaining({ maximumAvailable: 250_000 }) } },
    });
  });

  it("gives an invalid JSON body a 400 with a clear message", async () => {
    const res = await post("{bad");
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].message).toMatch(/invalid JSON/i);
  });

  it("refuses a non-GraphQL content type with 415", async () => {
    const res = await post("hello", "text/plain");
    expect(res.status).toBe(415);
  });

  it("refuses an empty query with 400", async () => {
    for (const query of ["", "   "]) {
      const res = await post(JSON.stringify({ query }));
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].message).toMatch(/empty query/);
    }
    const missing = await post(JSON.stringify({}));
    expect(missing.status).toBe(400);
  });

  it("refuses a 10 MB body with 413, declared or streamed, and keeps serving", async () => {
    const big = "a".repeat(10 * 1024 * 1024);
    const res = await post(JSON.stringify({ query: `{ __typename } # ${big}` }));
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].message).toMatch(/exceeds 1000000 bytes/);
    const chunked = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode("a".repeat(1024 * 1024)));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const after = await post(JSON.stringify({ query: "{ __typename }" }));
    expect(after.status).toBe(200);
  });

  it("refuses mutations over GET", async () => {
    const res = await fetch(`${url}?query=${encodeURIComponent("mutation { __typename }")}`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(405);
  });

  it("returns a syntax error as a typed 400", async () => {
    const res = await post(JSON.stringify({ query: "{ nope(" }));
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("serves /healthz, /readyz, /metrics and echoes a request id", async () => {
    const health = await fetch(`${base}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBe("abc-123");
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", detail: "ready" });
    const metricsResponse = await fetch(`${base}/metrics`);
    expect(metricsResponse.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = await metricsResponse.text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{route="graphql"/);
    // yoga's own plugins answer these three, and each is counted under its route
    expect(metrics).toMatch(/http_request_duration_seconds_count\{route="healthz",method="GET",status="200"\} [1-9]/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{route="readyz",method="GET",status="200"\} [1-9]/);
    const random = await fetch(`${base}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(random.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("sends the security headers on every response: GraphQL, GraphiQL, health, not found", async () => {
    const responses = [
      await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) }),
      await fetch(`${base}/graphql`, { headers: { accept: "text/html" } }),
      await fetch(`${base}/healthz`),
      await fetch(`${base}/nope`),
    ];
    for (const res of responses) {
      expect(res.headers.get("x-content-type-options"), res.url).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
      expect(res.headers.get("strict-transport-security")).toBeNull(); // production only
    }
    expect(responses[1]!.headers.get("content-type")).toMatch(/text\/html/);
  });
});
