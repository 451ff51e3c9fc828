import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { tracing } from "../src/telemetry/hooks.ts";
import { startTracing } from "../src/telemetry/tracing.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";
import { workerProcesses } from "./support/worker-process.ts";
import { createEndpoint, CREATE_JOB, firstBuilderId } from "./webhooks/flow.ts";

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** A local OTLP/HTTP receiver: what the exporters POST to /v1/traces (OTLP JSON), as a flat list of spans. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") return void res.writeHead(404).end();
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a: { key: string }) => a.key === "service.name")?.value.stringValue;
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              attributes: Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]])),
            });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * OpenTelemetry, end to end: a mutation sent with a `traceparent` is traced in the API (its operation, Prisma's SQL),
 * and the trace goes on in a real worker process through the outbox job: the fan-out, the endpoint's drain, the
 * delivery attempt, whose context reaches the partner in the `traceparent` header. Both processes export to a
 * local OTLP/HTTP receiver.
 */
describe("traces over OTLP/HTTP", () => {
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let traces: ReturnType<typeof startTracing>;
  let t: TestApp;
  let prisma: Prisma;
  let receiver: WebhookReceiver;
  const workers = workerProcesses(() => t);
  let port: number;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    traces = startTracing("h2o-acp-api", otlp.url, { slowResolverMs: 0 }); // every resolver gets its span here
    // with Redis: the budgets and the live events go through it, and their calls are spans of the operation
    t = await startTestApp({ REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: `tracing-${randomBytes(4).toString("hex")}:` }, { tracing: traces.yogaPlugin() });
    prisma = await seedDemo(t);
    receiver = await startWebhookReceiver();
    workers.start({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "100" });
  });
  afterAll(async () => {
    await workers.killAll();
    await traces?.shutdown();
    await receiver?.close();
    await prisma?.$disconnect();
    await t?.close();
    await otlp?.close();
  });

  it("follows a mutation from the request through its webhook delivery", async () => {
    const builderId = await firstBuilderId(t);
    await createEndpoint(t, { url: receiver.url(), filterTypes: ["job.created"] });
    // the endpoint's own event fanned out first, so the traced change's message has its fan-out to itself
    await expect.poll(() => prisma.webhookMessage.count({ where: { fannedOutAt: null } }), { timeout: 30_000 }).toBe(0);
    port = (await t.app.start()).port;
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...as("all_county"), traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ query: CREATE_JOB.replace("mutation(", "mutation CreateTracedJob("), variables: { input: { builderId, community: "Traced", scheduledDate: "2026-05-01" } } }),
    });
    expect((await res.json()).errors).toBeUndefined();

    await expect.poll(() => receiver.requests.length, { timeout: 30_000 }).toBe(1);
    const partnerTraceparent = String(receiver.requests[0]!.headers.traceparent);
    expect(partnerTraceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const byName = (name: string) => otlp.spans.find((s) => s.traceId === traceId && s.name === name);
    await expect.poll(() => byName("webhook.attempt") && byName("webhook.fanout"), { timeout: 20_000 }).toBeDefined();
    await expect.poll(() => byName("graphql.mutation CreateTracedJob"), { timeout: 20_000 }).toBeDefined();
    const operation = byName("graphql.mutation CreateTracedJob")!;
    const fanout = byName("webhook.fanout")!;
    const attempt = byName("webhook.attempt")!;
    /** Whether `ancestor` is `span`'s parent, or its parent's, ... within the trace (Prisma's transaction spans may sit between). */
    const descends = (span: ExportedSpan, ancestor: ExportedSpan): boolean => {
      for (let at: ExportedSpan | undefined = span; at; at = otlp.spans.find((s) => s.traceId === traceId && s.spanId === at!.parentSpanId)) {
        if (at.parentSpanId === ancestor.spanId) return true;
      }
      return false;
    };
    // the tree: caller -> operation -> (its transaction) -> fan-out (worker) -> attempt -> the partner's request
    expect(operation).toMatchObject({ service: "h2o-acp-api", parentSpanId: callerSpan });
    expect(operation.attributes).toMatchObject({ "graphql.operation.name": "CreateTracedJob", "graphql.operation.type": "mutation" });
    expect(Number(operation.attributes["graphql.operation.cost"])).toBeGreaterThan(0);
    expect(operation.attributes["app.tenant_id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(fanout.service).toBe("h2o-acp-worker");
    expect(descends(fanout, operation)).toBe(true);
    expect(attempt.service).toBe("h2o-acp-worker");
    expect(descends(attempt, fanout)).toBe(true);
    expect(attempt.attributes).toMatchObject({ "app.attempt": 1, "app.outcome": "succeeded", "http.response.status_code": 204 });
    expect(partnerTraceparent.split("-")[2]).toBe(attempt.spanId);
    expect(otlp.spans.some((s) => s.service === "h2o-acp-worker" && s.name === "webhook.deliver")).toBe(true); // the drain
    // SQL: Prisma's spans in the API (the mutation's statements); in the worker, its own statements' pg.query spans
    // (the fan-out's, which creates the delivery, db/sql.ts)
    const sql = otlp.spans.filter((s) => s.traceId === traceId && (s.name === "prisma:client:db_query" || s.name === "pg.query"));
    expect(sql.some((s) => s.service === "h2o-acp-api" && s.name === "prisma:client:db_query" && /INSERT INTO "public"."Job"/i.test(String(s.attributes["db.query.text"])))).toBe(true);
    expect(sql.some((s) => s.service === "h2o-acp-worker" && s.name === "pg.query" && /INSERT INTO "WebhookDelivery"/.test(String(s.attributes["db.query.text"])))).toBe(true);
    // slow resolvers (every one, at a threshold of 0): the mutation's field, under the operation
    const resolver = otlp.spans.find((s) => s.traceId === traceId && s.name === "graphql.resolve Mutation.createJob");
    expect(resolver?.attributes).toMatchObject({ "graphql.field.path": "createJob" });
    expect(resolver?.parentSpanId).toBe(operation.spanId);
    // Redis: the operation's budgets (before it runs) and its live event (after the commit), inside its span
    for (const name of ["redis h2oTakeBudgets", "redis PUBLISH"]) {
      const span = otlp.spans.find((s) => s.traceId === traceId && s.name === name);
      expect(span, name).toMatchObject({ service: "h2o-acp-api", attributes: { "db.system": "redis" } });
      expect(descends(span!, operation), name).toBe(true);
    }
  }, 90_000);

  it("keeps each change's trace when one fan-out takes several messages in a batch", async () => {
    await workers.killAll(); // the messages wait, so the next worker's first fan-out takes them all at once
    const builderId = await firstBuilderId(t);
    const traceIds = [randomBytes(16).toString("hex"), randomBytes(16).toString("hex")];
    const before = receiver.requests.length;
    for (const [i, traceId] of traceIds.entries()) {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...as("all_county"), traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
        body: JSON.stringify({ query: CREATE_JOB, variables: { input: { builderId, community: `Batched ${i}`, scheduledDate: "2026-05-01" } } }),
      });
      expect((await res.json()).errors).toBeUndefined();
    }
    workers.start({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "100" });
    await expect.poll(() => receiver.requests.length, { timeout: 30_000 }).toBe(before + 2);
    const sent = receiver.requests.slice(before).map((r) => [JSON.parse(r.body).data.object.community, String(r.headers.traceparent).split("-")[1]]);
    expect(sent).toEqual([["Batched 0", traceIds[0]], ["Batched 1", traceIds[1]]]);
    for (const traceId of traceIds) {
      await expect.poll(() => otlp.spans.some((s) => s.traceId === traceId && s.name === "webhook.attempt"), { timeout: 20_000 }).toBe(true);
    }
  }, 90_000);

  it("puts the active span's trace id on log lines", async () => {
    const traceparent = `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
    const fields = await tracing.span!("test.log", {}, traceparent, async () => tracing.logFields!());
    expect(fields.trace_id).toBe(traceparent.split("-")[1]);
    expect(fields.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(tracing.logFields!()).toEqual({}); // outside any span
  });
});
