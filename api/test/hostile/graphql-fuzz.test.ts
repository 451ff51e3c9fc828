import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { ErrorCode } from "../../src/errors.ts";
import { schema } from "../../src/schema/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, seedDemo } from "../support/domain.ts";
import { operation } from "../support/graphql-arbitrary.ts";
import { initRaw, metric } from "../support/ws.ts";

/** Every code a client can see: ours (errors.ts) and those of GraphQL over HTTP itself (README, Limits). */
const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), "BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "OPERATION_RESOLUTION_FAILURE"]);
const CLIENT_STATUSES = [200, 400, 401, 403, 404, 405, 406, 413, 415, 429];

/** Bounded: FUZZ_RUNS operations (default 150, a few seconds) from FUZZ_SEED; fast-check prints the seed and path of a failure. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);

describe("fuzz: documents and variables generated against the schema", () => {
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000" });
    prisma = await seedDemo(t);
    await prisma.tenantConfig.updateMany({ data: { rateLimitPerMinute: 100_000, apiKeyRateLimitPerMinute: 100_000, queryCostBudget: 100_000_000, queryCostRestoreRate: 100_000_000 } });
    ({ url, port } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const callers: Array<Record<string, string>> = [{}, as("all_county", "owner"), as("h2o", "viewer"), as("all_county", "estimator"), { authorization: "Bearer forged.forged.forged" }];

  it(`every answer is a well-formed GraphQL response with a known code, never a 500 (${RUNS} runs, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), fc.nat(callers.length - 1), async (g, who) => {
        const op = operation(schema, g);
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...callers[who] },
          body: JSON.stringify(op),
        });
        const text = await res.text();
        const where = `${res.status} ${text.slice(0, 500)}\n${JSON.stringify(op)}`;
        expect(CLIENT_STATUSES, where).toContain(res.status);
        const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ message: unknown; extensions?: { code?: unknown } }> };
        expect(typeof body, where).toBe("object");
        expect("data" in body || "errors" in body, where).toBe(true);
        for (const e of body.errors ?? []) {
          expect(typeof e.message, where).toBe("string");
          expect(KNOWN_CODES, where).toContain(e.extensions?.code);
          expect(e.extensions?.code, where).not.toBe("INTERNAL_SERVER_ERROR");
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // and the server keeps serving, having answered no request with a 500
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...as("all_county") }, body: JSON.stringify({ query: "{ viewer { email } }" }) });
    expect((await res.json()).data.viewer.email).toMatch(/@/);
    expect(await metric(port, 'http_request_duration_seconds_count{route="graphql",method="POST",status="500"}')).toBe(0);
  });

  it(`over one WebSocket too: every result or error carries a known code, and the socket stays open (${Math.ceil(RUNS / 3)} runs, seed ${SEED})`, async () => {
    const raw = await initRaw(port, "all_county");
    expect(raw.acked).toBe(true);
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          const op = operation(schema, g);
          const id = `op${++n}`;
          raw.send({ id, type: "subscribe", payload: op });
          // its first answer (a result, an error, a completion), or none yet: a subscription waiting for events
          let answer: { type: string; payload?: any } | undefined;
          for (let waited = 0; !answer && waited < 300; waited += 10) {
            await new Promise((r) => setTimeout(r, 10));
            answer = raw.messages.find((m) => m?.id === id);
          }
          if (!answer || answer.type === "next") raw.send({ id, type: "complete" });
          const errors: Array<{ message: unknown; extensions?: { code?: unknown } }> = answer?.type === "error" ? answer.payload : (answer?.payload?.errors ?? []);
          const where = `${JSON.stringify(answer ?? "no answer yet").slice(0, 500)}\n${JSON.stringify(op)}`;
          for (const e of errors) {
            expect(typeof e.message, where).toBe("string");
            expect(KNOWN_CODES, where).toContain(e.extensions?.code);
            expect(e.extensions?.code, where).not.toBe("INTERNAL_SERVER_ERROR");
          }
          expect(raw.socket.readyState, where).toBe(raw.socket.OPEN);
        }),
        { seed: SEED, numRuns: Math.ceil(RUNS / 3), endOnFailure: true },
      );
      // and it still serves: a query over the same socket
      raw.send({ id: "last", type: "subscribe", payload: { query: "{ viewer { email } }" } });
      await expect.poll(() => raw.messages.find((m) => m?.id === "last" && m.type === "next")?.payload.data.viewer.email).toMatch(/@/);
    } finally {
      raw.socket.close();
    }
  });
});
