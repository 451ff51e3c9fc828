import { randomBytes } from "node:crypto";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";
import { queryCost } from "../src/plugins/query-cost.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { as, ok, seedDemo } from "./support/domain.ts";
import { startReplica, stopReplica, type Replica } from "./support/replicas.ts";
import { initRaw } from "./support/ws.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: any; errors?: Array<{ message: string; extensions: Record<string, any> }>; extensions?: Record<string, any> };
}

async function post(port: number, query: string, headers: Record<string, string> = {}, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

/** A page of jobs: its cost, as the cost analysis counts it, scales with `first`. */
const JOBS = "query Jobs($first: Int!) { jobs(first: $first) { edges { node { id status community builder { name } } } } }";
const costOf = (query: string, variables: Record<string, unknown> = {}) => queryCost(schema, parse(query), variables)!;

describe("cost as a budget: every response reports it, a dry bucket refuses until it has refilled", () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    await (await seedDemo(t)).$disconnect();
    ({ port } = await t.app.start());
  });
  afterAll(() => t?.close());

  /** Sets the acting tenant's bucket through the API (the change reaches the principal cache at once). */
  async function setBudget(tenant: string, queryCostBudget: number, queryCostRestoreRate: number) {
    const { tenant: current } = await ok(t, "{ tenant { config { version } } }", {}, tenant);
    const { updateTenantConfig } = await ok(
      t,
      "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { tenantConfig { queryCostBudget queryCostRestoreRate } } }",
      { input: { expectedVersion: current.config.version, queryCostBudget, queryCostRestoreRate } },
      tenant,
    );
    expect(updateTenantConfig.tenantConfig).toEqual({ queryCostBudget, queryCostRestoreRate });
  }

  it("every query and mutation response carries extensions.cost: the requested cost and the caller's bucket after it", async () => {
    await setBudget("all_county", 20_000, 1);
    const estimator = as("all_county", "estimator");
    const cost = costOf(JOBS, { first: 10 });
    const first = await post(port, JOBS, estimator, { first: 10 });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.jobs.edges.length).toBeGreaterThan(0);
    expect(first.body.extensions?.cost).toEqual({ requestedQueryCost: cost, throttleStatus: { maximumAvailable: 20_000, currentlyAvailable: 20_000 - cost, restoreRate: 1 } });
    // the same caller's bucket went down by the cost again (and up by at most a point a second since)
    const second = (await post(port, JOBS, estimator, { first: 10 })).body.extensions!.cost.throttleStatus.currentlyAvailable;
    expect(second).toBeGreaterThanOrEqual(20_000 - 2 * cost);
    expect(second).toBeLessThanOrEqual(20_000 - 2 * cost + 3);
    // another user of the tenant has a bucket of their own
    expect((await post(port, JOBS, as("all_county", "viewer"), { first: 10 })).body.extensions?.cost.throttleStatus.currentlyAvailable).toBe(20_000 - cost);

    const mutation = `mutation($input: CreateBuilderInput!) { createBuilder(input: $input) { builder { id name } } }`;
    const created = await post(port, mutation, as("all_county", "owner"), { input: { name: `Cost ${randomBytes(3).toString("hex")}` } });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.extensions?.cost).toMatchObject({ requestedQueryCost: costOf(mutation, { input: { name: "x" } }), throttleStatus: { maximumAvailable: 20_000, restoreRate: 1 } });
    // anonymous callers have a bucket per address, of the default size
    expect((await post(port, "{ serverInfo { version } }")).body.extensions?.cost).toEqual({
      requestedQueryCost: costOf("{ serverInfo { version } }"),
      throttleStatus: { maximumAvailable: 250_000, currentlyAvailable: 250_000 - costOf("{ serverInfo { version } }"), restoreRate: 25_000 },
    });
  });

  it("reports it on queries sent over WebSocket too", async () => {
    const raw = await initRaw(port, "h2o", { role: "dispatcher" });
    expect(raw.acked).toBe(true);
    raw.subscribe("{ serviceCalls(first: 3) { edges { node { id } } } }", "q");
    await expect.poll(() => raw.messages.find((m) => m.type === "next" && m.id === "q")).toBeTruthy();
    const next = raw.messages.find((m) => m.type === "next" && m.id === "q");
    expect(next.payload.extensions.cost).toMatchObject({ requestedQueryCost: costOf("{ serviceCalls(first: 3) { edges { node { id } } } }"), throttleStatus: { maximumAvailable: 250_000 } });
    raw.socket.close();
  });

  it("refuses a query its bucket cannot pay for with RATE_LIMITED, the time until it fits, and takes nothing; it fits again once refilled", async () => {
    const cost = costOf(JOBS, { first: 25 });
    const budget = Math.max(1_000, Math.floor(cost * 2.5));
    const rate = Math.ceil(cost / 2); // a missing cost comes back within about 2 s
    await setBudget("h2o", budget, rate);
    const query = JOBS.replace("jobs(", "serviceCalls(").replace("community builder { name }", "customerName priority");
    const callCost = costOf(query, { first: 25 });
    const dispatcher = as("h2o", "dispatcher");
    const statuses: number[] = [];
    let refused: Answer | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const answer = await post(port, query, dispatcher, { first: 25 });
      statuses.push(answer.status);
      if (answer.status !== 200) refused = answer;
    }
    // the bucket held at most budget / cost queries, and the next one was refused
    expect(statuses.filter((s) => s === 200).length).toBe(Math.floor(budget / callCost));
    expect(refused!.status).toBe(429);
    expect(refused!.body.data ?? null).toBeNull();
    const error = refused!.body.errors![0]!;
    const { currentlyAvailable } = refused!.body.extensions!.cost.throttleStatus;
    expect(currentlyAvailable).toBeLessThan(callCost);
    const wait = Math.ceil((callCost - currentlyAvailable) / rate);
    expect(error.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(wait - 1);
    expect(error.extensions.retryAfterSeconds).toBeLessThanOrEqual(wait);
    expect(refused!.retryAfter).toBe(String(error.extensions.retryAfterSeconds));
    expect(error.message).toMatch(new RegExp(`query cost ${callCost} exceeds the \\d+ cost points available`));
    expect(refused!.body.extensions!.cost).toMatchObject({ requestedQueryCost: callCost, throttleStatus: { maximumAvailable: budget, restoreRate: rate } });

    // the refusal took nothing: a query that fits what is left runs at once
    const small = await post(port, "{ serviceCalls(first: 1) { edges { node { id } } } }", dispatcher);
    expect(small.status).toBe(200);
    expect(small.body.extensions!.cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(currentlyAvailable - costOf("{ serviceCalls(first: 1) { edges { node { id } } } }"));

    // refilled at the restore rate: after the time it was told, the same query fits
    await new Promise((r) => setTimeout(r, error.extensions.retryAfterSeconds * 1000 + 300));
    const again = await post(port, query, dispatcher, { first: 25 });
    expect(again.body.errors).toBeUndefined();
    expect(again.status).toBe(200);
  });

  it("refuses a query costing more than the whole bucket as QUERY_TOO_COMPLEX (it would never fit), taking nothing", async () => {
    await setBudget("all_county", 1_000, 100);
    const query = "query($n: Int!) { jobs(first: $n) { edges { node { id status community lot notes } } } }";
    const res = await post(port, query, as("all_county", "dispatcher"), { n: 300 });
    expect(costOf(query, { n: 300 })).toBeGreaterThan(1_000);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxCost: 1_000 });
    expect(res.body.extensions?.cost).toEqual({ requestedQueryCost: costOf(query, { n: 300 }) });
    const after = await post(port, "{ jobs(first: 1) { edges { node { id } } } }", as("all_county", "dispatcher"));
    expect(after.body.extensions!.cost.throttleStatus.currentlyAvailable).toBe(1_000 - costOf("{ jobs(first: 1) { edges { node { id } } } }"));
  });
});

describe("cost budgets across two API processes sharing Redis", () => {
  let db: TestDatabase;
  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) });
    const prisma = await seedDemo({ db, env } as TestApp);
    // before either process has seen the tenant: a bucket of 3.5 queries' cost, refilling a point a second
    await prisma.tenantConfig.updateMany({ where: { tenant: { slug: "all_county" } }, data: { queryCostBudget: Math.floor(costOf(JOBS, { first: 20 }) * 3.5), queryCostRestoreRate: 1 } });
    await prisma.$disconnect();
    const replicaEnv = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `h2o-test-${randomBytes(6).toString("hex")}:`,
      NODE_ENV: "test",
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: "0".repeat(64),
    };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a && stopReplica(a.proc), b && stopReplica(b.proc)]);
    await db?.drop();
  });

  it("takes one bucket down through both processes, and the process that did not drain it refuses", async () => {
    const cost = costOf(JOBS, { first: 20 });
    const budget = Math.floor(cost * 3.5);
    const estimator = as("all_county", "estimator");
    const answers: Answer[] = [];
    for (const replica of [a, b, a, b]) answers.push(await post(replica.port, JOBS, estimator, { first: 20 }));
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200, 429]);
    // each process saw what the other had taken
    const available = answers.map((x) => x.body.extensions!.cost.throttleStatus.currentlyAvailable);
    for (const [i, left] of available.slice(0, 3).entries()) {
      expect(left).toBeGreaterThanOrEqual(budget - (i + 1) * cost);
      expect(left).toBeLessThanOrEqual(budget - (i + 1) * cost + 5);
    }
    expect(answers[3]!.body.errors![0]!.extensions.code).toBe("RATE_LIMITED");
    expect(available[3]).toBeLessThan(cost);
    expect(Number(answers[3]!.retryAfter)).toBeGreaterThan(cost / 4);
  });
});
