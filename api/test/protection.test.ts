import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RequestLimiter, type RateSubject } from "../src/auth/request-limiter.ts";

/** The requests a replica must serve a subject in a second before it leases to it (request-limiter.ts LEASE_MIN_RATE). */
const LEASES_NEED = 10;
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, ok, seedDemo } from "./support/domain.ts";
import { connect, subscribe, type LiveClient } from "./support/ws.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A POST over the real HTTP server, returning status, headers and body. */
async function post(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: any }> } };
}

const setLimits = (prisma: Prisma, slug: string, data: { rateLimitPerMinute?: number; apiKeyRateLimitPerMinute?: number }) =>
  prisma.tenantConfig.updateMany({ where: { tenant: { slug } }, data });

describe("query limits", () => {
  let t: TestApp;
  let url: string;
  let port: number;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ QUERY_MAX_DEPTH: "8", QUERY_MAX_ALIASES: "5", QUERY_MAX_TOKENS: "400", QUERY_MAX_COST: "5000" });
    await (await seedDemo(t)).$disconnect();
    ({ url, port } = await t.app.start());
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.close();
  });

  it("refuses a document nested deeper than QUERY_MAX_DEPTH before running it", async () => {
    const deep = "{ jobs(first: 1) { edges { node { builder { jobs(first: 1) { edges { node { builder { name } } } } } } } } }";
    const { status, body } = await post(url, deep, {}, as("all_county"));
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(body.errors![0]!.message).toMatch(/depth limit of 8 exceeded/i);
    expect(status).toBeGreaterThanOrEqual(200);
    // one level less runs
    const fine = "{ jobs(first: 1) { edges { node { builder { jobs(first: 1) { totalCount } } } } } }";
    expect((await post(url, fine, {}, as("all_county"))).body.errors).toBeUndefined();
  });

  it("refuses too many aliases and too many tokens", async () => {
    const aliases = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: serverInfo { version }`).join(" ")} }`;
    const a = (await post(url, aliases)).body.errors![0]!;
    expect(a.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(a.message).toMatch(/aliases limit of 5 exceeded/i);
    const tokens = `{ serverInfo { ${"version ".repeat(400)} } }`;
    const tk = (await post(url, tokens)).body.errors![0]!;
    expect(tk.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(tk.message).toMatch(/token limit of 400 exceeded/i);
  });

  it("costs pages at their requested size, variables included, and refuses what exceeds QUERY_MAX_COST", async () => {
    const query = "query ($n: Int) { jobs(first: $n) { edges { node { id auditTrail(first: $n) { edges { node { id action } } } } } } }";
    const small = await post(url, query, { n: 5 }, as("all_county"));
    expect(small.body.errors).toBeUndefined();
    expect(small.body.data.jobs.edges.length).toBeGreaterThan(0);
    // 100 jobs × 100 audit events each: far over 5000 whatever the data
    const big = await post(url, query, { n: 100 }, as("all_county"));
    expect(big.body.data ?? null).toBeNull();
    expect(big.body.errors![0]!.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxCost: 5000 });
    expect(big.body.errors![0]!.extensions.cost).toBeGreaterThan(5000);
  });

  it("refuses a costly subscription over WebSocket, and the same checks apply to operations sent over the socket", async () => {
    const live = connect(port, "all_county");
    clients.push(live);
    const costly = subscribe(
      live,
      "subscription ($n: Int) { jobChanged { job { builder { jobs(first: $n) { edges { node { auditTrail(first: $n) { totalCount } } } } } } } }",
      { n: 100 },
    );
    await expect.poll(() => costly.errors.length).toBe(1);
    expect(JSON.stringify(costly.errors)).toContain("QUERY_TOO_COMPLEX");
    const deep = subscribe(live, "query { jobs(first: 1) { edges { node { builder { jobs(first: 1) { edges { node { builder { name } } } } } } } } }");
    await expect.poll(() => deep.errors.length).toBe(1);
    expect(JSON.stringify(deep.errors)).toMatch(/depth limit/i);
    const fine = subscribe(live, "query { serverInfo { version } }");
    await expect.poll(() => fine.events.length).toBe(1);
  });
});

describe("rate limits", () => {
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: "4" });
    prisma = await seedDemo(t);
    ({ url } = await t.app.start());
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await t.close();
  });

  it("gives each user of a tenant the tenant's budget per minute, then RATE_LIMITED with 429 and Retry-After", async () => {
    await setLimits(prisma, "h2o", { rateLimitPerMinute: 3 });
    const dispatcher = as("h2o", "dispatcher");
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(url, "{ serviceCalls(first: 1) { totalCount } }", {}, dispatcher);
      expect(r.status).toBe(200);
      expect(r.headers.get("ratelimit-limit")).toBe("3");
      remaining.push(r.headers.get("ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await post(url, "{ serviceCalls(first: 1) { totalCount } }", {}, dispatcher);
    expect(refused.status).toBe(429);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limitPerMinute: 3 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // a refused mutation changes nothing
    const before = await prisma.serviceCall.count();
    const mutation = await post(
      url,
      'mutation { createServiceCall(input: { customerName: "Rate Limit", customerPhone: "+15555550123", addressLine1: "1 Main St", problem: "leak" }) { serviceCall { id } } }',
      {},
      dispatcher,
    );
    expect(mutation.status).toBe(429);
    expect(await prisma.serviceCall.count()).toBe(before);
    // another user of the same tenant has a budget of their own
    const owner = await post(url, "{ serviceCalls(first: 1) { totalCount } }", {}, as("h2o", "owner"));
    expect(owner.status).toBe(200);
    expect(owner.body.errors).toBeUndefined();
  });

  it("counts an API key at its tenant's API key limit, apart from its users", async () => {
    await setLimits(prisma, "all_county", { apiKeyRateLimitPerMinute: 2 });
    const { createApiKey } = await ok(t, 'mutation { createApiKey(input: { name: "limited", scopes: ["read:jobs"] }) { key } }');
    const key = { authorization: `Bearer ${createApiKey.key}` };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url, "{ jobs(first: 1) { totalCount } }", {}, key)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await post(url, "{ jobs(first: 1) { totalCount } }", {}, as("all_county", "viewer"))).status).toBe(200);
  });

  it("counts anonymous callers per IP", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(url, "{ serverInfo { version } }")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it("counts a client behind a trusted proxy (the dashboard's server, a load balancer) by its forwarded address, and audits that address", async () => {
    const from = (ip: string) => ({ "x-forwarded-for": ip });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(url, "{ serverInfo { version } }", {}, from("203.0.113.7"))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await post(url, "{ serverInfo { version } }", {}, from("203.0.113.8"))).status).toBe(200);
    const created = await post(
      url,
      'mutation { createServiceCall(input: { customerName: "Forwarded", customerPhone: "+15555550199", addressLine1: "2 Main St", problem: "drip" }) { serviceCall { id } } }',
      {},
      { ...as("h2o", "owner"), ...from("198.51.100.23, 127.0.0.1") },
    );
    expect(created.body.errors).toBeUndefined();
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { entityType: "service_call", action: "created" }, orderBy: { changedAt: "desc" } });
    expect(audit.ip).toBe("198.51.100.23");
  });

  it("does not count a costly query it refuses against the budget", async () => {
    await setLimits(prisma, "h2o", { rateLimitPerMinute: 2 });
    const marketer = as("h2o", "marketer");
    const deep = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: serverInfo { version }`).join(" ")} }`;
    for (let i = 0; i < 3; i++) expect((await post(url, deep, {}, marketer)).body.errors![0]!.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect((await post(url, "{ serverInfo { version } }", {}, marketer)).status).toBe(200);
  });
});

describe("without trusted proxies", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: "none", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "2" });
    ({ url } = await t.app.start());
  });
  afterAll(() => t.close());

  it("ignores X-Forwarded-For, so a client cannot pick its own budget", async () => {
    const statuses = [];
    for (const ip of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) statuses.push((await post(url, "{ serverInfo { version } }", {}, { "x-forwarded-for": ip })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe("rate limits across replicas", () => {
  const keyPrefix = `h2o-test-${randomBytes(6).toString("hex")}:`;
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  const redises: Redis[] = [];
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: keyPrefix });
    prisma = await seedDemo(t);
    ({ url } = await t.app.start());
  });
  afterAll(async () => {
    redises.forEach((r) => r.disconnect());
    await prisma.$disconnect();
    await t.close();
  });
  const redis = (port = 6379) => {
    const r = new Redis(REDIS_URL.replace(/:\d+$/, `:${port}`), { maxRetriesPerRequest: 1, lazyConnect: false, retryStrategy: () => null });
    r.on("error", () => undefined);
    redises.push(r);
    return r;
  };

  it("counts in Redis, so two processes' limiters share one budget", async () => {
    const [a, b] = [new RequestLimiter({ redis: redis(), keyPrefix }), new RequestLimiter({ redis: redis(), keyPrefix })];
    const subject = { key: `user:shared-${randomBytes(4).toString("hex")}`, perMinute: 3, costBudget: { maximum: 1_000, restoreRate: 1 } };
    const allowed = [];
    for (const limiter of [a, b, a, b, a]) allowed.push((await limiter.take(subject)).allowed);
    expect(allowed).toEqual([true, true, true, false, false]);
  });

  /** A limiter on its own Redis connection, counting its script calls (round trips to Redis). */
  const countedLimiter = () => {
    const r = redis() as Redis & { h2oTakeBudgets?: (...args: unknown[]) => Promise<unknown> };
    const limiter = new RequestLimiter({ redis: r, keyPrefix });
    const script = r.h2oTakeBudgets!.bind(r);
    const counted = { limiter, calls: 0 };
    r.h2oTakeBudgets = (...args: unknown[]) => ((counted.calls += 1), script(...args));
    return counted;
  };

  const nextSecond = () => new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 5));
  /** Takes 20 requests within one whole second, then waits for the next: the demand that earns a lease of 20. */
  async function busySecond(limiter: RequestLimiter, subject: RateSubject, cost: number) {
    await nextSecond();
    for (let i = 0; i < 20; i++) await limiter.take(subject, cost);
    await nextSecond();
    return 20;
  }

  it("counts a caller of a few requests at a time exactly, one Redis round trip each (no lease)", async () => {
    const a = countedLimiter();
    const subject = { key: `user:calm-${randomBytes(4).toString("hex")}`, perMinute: 600, costBudget: { maximum: 250_000, restoreRate: 25_000 } };
    const remaining = [];
    for (let burst = 0; burst < 3; burst++) {
      for (const d of await Promise.all([1, 2, 3].map(() => a.limiter.take(subject, 100)))) remaining.push(d.remaining);
      await new Promise((r) => setTimeout(r, 1_100));
    }
    expect(a.calls).toBe(9);
    expect(remaining.sort((x, y) => y - x)).toEqual([599, 598, 597, 596, 595, 594, 593, 592, 591]);
  });

  it("leases a busy subject's budget: one Redis round trip serves many requests, and the figures stay exact in one process", async () => {
    const a = countedLimiter();
    const subject = { key: `user:busy-${randomBytes(4).toString("hex")}`, perMinute: 100_000, costBudget: { maximum: 10_000_000, restoreRate: 20_000 } };
    const warm = await busySecond(a.limiter, subject, 100);
    expect(warm).toBeGreaterThan(LEASES_NEED);
    const callsBefore = a.calls;
    const started = Date.now();
    const decisions = [];
    for (let i = 0; i < 510; i++) decisions.push(await a.limiter.take(subject, 100));
    const elapsedSeconds = (Date.now() - started) / 1000;
    expect(decisions.every((d) => d.allowed && d.cost?.allowed)).toBe(true);
    // leases of 20 requests (the last second's demand) ride along with the calls: 510 requests in about 25
    expect(a.calls - callsBefore).toBeLessThanOrEqual(Math.ceil(510 / 21) + 2);
    const first = decisions[0]!;
    expect(decisions.map((d) => d.remaining)).toEqual(decisions.map((_, i) => first.remaining - i));
    decisions.forEach((d, i) => {
      expect(d.cost!.currentlyAvailable).toBeGreaterThanOrEqual(first.cost!.currentlyAvailable - 100 * i);
      expect(d.cost!.currentlyAvailable).toBeLessThanOrEqual(first.cost!.currentlyAvailable - 100 * i + 20_000 * elapsedSeconds + 1);
    });
    // another replica counts a's requests and at most one lease it holds unused, plus what earlier leases left
    // unused when they expired
    const b = countedLimiter();
    const seen = await b.limiter.take(subject, 100);
    const used = warm + 510 + 1;
    expect(seen.remaining).toBeLessThanOrEqual(100_000 - used);
    expect(seen.remaining).toBeGreaterThanOrEqual(100_000 - used - 50 - 50);
  });

  it("refuses as exactly as without a lease: a replica's unused points go back before Redis decides, and the other replica is refused too", async () => {
    const [a, b] = [countedLimiter(), countedLimiter()];
    // leases of 1,000 points (a quarter second of refill): three queries of 300 and 100 points over, which must go back
    const subject = { key: `user:drying-${randomBytes(4).toString("hex")}`, perMinute: 100_000, costBudget: { maximum: 100_000, restoreRate: 4_000 } };
    // busy enough for leases (points at no cost yet)
    await busySecond(a.limiter, subject, 0);
    // a query the lease does not cover goes to Redis with the lease's points, which the other replica then sees
    const started = Date.now();
    await a.limiter.take(subject, 300);
    await a.limiter.take(subject, 1_100);
    const seenByB = (await b.limiter.take(subject, 0)).cost!.currentlyAvailable;
    expect(seenByB).toBeGreaterThanOrEqual(100_000 - 300 - 1_100);
    expect(seenByB).toBeLessThanOrEqual(100_000 - 300 - 1_100 + 4_000 * ((Date.now() - started) / 1000) + 1);
    let used = 300 + 1_100;
    let refused: Awaited<ReturnType<RequestLimiter["take"]>> | undefined;
    const callsBefore = a.calls;
    while (!refused && used < 1_000_000) {
      const decision = await a.limiter.take(subject, 300);
      if (decision.cost!.allowed) used += 300;
      else refused = decision;
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    expect(refused).toBeDefined();
    expect(a.calls - callsBefore).toBeLessThan((used - 1_400) / 300 / 2);
    // every point was used before the refusal, less than one query's worth: the whole bucket and what it regained
    // meanwhile (for all but the first and last round trip's few milliseconds), no lease held back
    expect(used).toBeGreaterThan(100_000 + 4_000 * Math.max(0, elapsedSeconds - 0.05) - 300);
    expect(used).toBeLessThanOrEqual(100_000 + 4_000 * elapsedSeconds + 1);
    expect(refused!.cost!.currentlyAvailable).toBeLessThan(300);
    expect(refused!.cost!.retryAfterSeconds).toBe(1);
    expect((await b.limiter.take(subject, 300)).cost!.allowed).toBe(false);
  });

  it("keeps limiting in memory while Redis is unreachable", async () => {
    const closedPort = 1; // nothing listens there
    const limiter = new RequestLimiter({ redis: redis(closedPort), keyPrefix });
    const subject = { key: "user:offline", perMinute: 3, costBudget: { maximum: 1_000, restoreRate: 1 } };
    const taken = [];
    for (let i = 0; i < 4; i++) {
      const decision = await limiter.take(subject, 400);
      taken.push([decision.allowed, decision.cost?.allowed, decision.cost?.currentlyAvailable]);
    }
    // the third request is allowed but its cost does not fit (200 left); the fourth is over the request limit
    expect(taken).toEqual([[true, true, 600], [true, true, 200], [true, false, 200], [false, false, 200]]);
  });

  it("uses Redis for the HTTP budget and reports it in /readyz", async () => {
    await setLimits(prisma, "all_county", { rateLimitPerMinute: 2 });
    const estimator = as("all_county", "estimator");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url, "{ bids(first: 1) { totalCount } }", {}, estimator)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const keys = await redis().keys(`${keyPrefix}rate:2:*`);
    expect(keys.length).toBe(1);
    const res = await fetch(url.replace("/graphql", "/readyz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ready", redis: "ok" });
  });
});
