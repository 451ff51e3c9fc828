import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushKeyUsage } from "../src/auth/api-key-usage.ts";
import { principalCache } from "../src/auth/principal-cache.ts";
import { observeSql, type Prisma } from "../src/db/client.ts";
import { demoUser } from "../../prisma/seed.ts";
import { signAccessToken } from "../src/auth/tokens.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { as, ok, seedDemo } from "./support/domain.ts";
import { freePort } from "./support/ports.ts";

const statements: string[] = [];
let stopObserving: () => void;
beforeAll(() => void (stopObserving = observeSql((s) => statements.push(s.sql))));
afterAll(() => stopObserving());

/** The SQL statements one `{ __typename }`-like request sends, and its result. */
async function sqlOf(t: TestApp, headers: Record<string, string>, query = "{ __typename }") {
  statements.length = 0;
  const res = await t.gql<any>(query, {}, headers);
  return { res, sql: [...statements] };
}

describe("principal cache: a warm request sends no SQL for authentication", () => {
  let t: TestApp;
  let prisma: Prisma;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("by user token: the cold request looks the principal up, the warm one sends nothing", async () => {
    const viewer = as("all_county", "viewer");
    const cold = await sqlOf(t, viewer);
    expect(cold.res.errors).toBeUndefined();
    expect(cold.sql.some((s) => s.includes(`FROM "public"."User"`))).toBe(true);
    expect(cold.sql.some((s) => s.includes(`FROM "public"."RefreshToken"`))).toBe(true);
    const warm = await sqlOf(t, viewer);
    expect(warm.res.data).toEqual({ __typename: "Query" });
    expect(warm.sql).toEqual([]);
    // the rights are the user's own, from the cache
    const me = await sqlOf(t, viewer, "{ viewer { id role tenantId } }");
    expect(me.res.data.viewer).toMatchObject({ id: demoUser("all_county", "viewer").id, role: "viewer" });
    expect(me.sql).toEqual([]);
  });

  it("a new session of a warm user checks only the session; another requested tenant is never served another's entry", async () => {
    await sqlOf(t, as("all_county", "owner"));
    const newSession = await sqlOf(t, as("all_county", "owner"));
    expect(newSession.sql).toHaveLength(1);
    expect(newSession.sql[0]).toContain(`FROM "public"."RefreshToken"`);
    // the office manager is an admin in both tenants: one token, two tenants, two answers
    const office = (await prisma.user.findUniqueOrThrow({ where: { email: "office@h2o-acp.example" } })).id;
    const bearer = `Bearer ${signAccessToken({ sub: office, sid: randomUUID() }, TEST_JWT_SECRET)}`;
    const tenantOf = async (tenant: string) => (await sqlOf(t, { authorization: bearer, "x-tenant-id": tenant }, "{ tenant { slug } }")).res.data.tenant.slug;
    for (let i = 0; i < 2; i++) expect([await tenantOf("all_county"), await tenantOf("h2o")]).toEqual(["all_county", "h2o"]);
    // a warm user of one tenant asking for another is refused, not served its warm entry
    const estimator = as("all_county", "estimator");
    await sqlOf(t, estimator);
    const elsewhere = await sqlOf(t, { ...estimator, "x-tenant-id": "h2o" }, "{ tenant { slug } }");
    expect(elsewhere.res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("by API key: the warm request sends nothing, lastUsedAt is written in the background, a wrong secret is refused", async () => {
    const { createApiKey } = await ok(t, 'mutation { createApiKey(input: { name: "cache", scopes: ["read:jobs"] }) { key apiKey { id } } }');
    const key = { authorization: `Bearer ${createApiKey.key}` };
    const cold = await sqlOf(t, key);
    expect(cold.res.errors).toBeUndefined();
    expect(cold.sql.some((s) => s.includes(`FROM "public"."ApiKey"`))).toBe(true);
    expect(cold.sql.filter((s) => s.startsWith("UPDATE"))).toEqual([]);
    const warm = await sqlOf(t, key);
    expect(warm.res.data).toEqual({ __typename: "Query" });
    expect(warm.sql).toEqual([]);
    // same prefix, another secret: the warm entry does not let it in
    const forged = createApiKey.key.slice(0, -4) + (createApiKey.key.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await sqlOf(t, { authorization: `Bearer ${forged}` }, "{ tenant { slug } }")).res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const id = Buffer.from(createApiKey.apiKey.id, "base64").toString().split(":")[1]!;
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt).toBeNull();
    await flushKeyUsage();
    const used = (await prisma.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt;
    expect(used).toBeInstanceOf(Date);
    expect(Math.abs(used!.getTime() - Date.now())).toBeLessThan(10_000);
  });

  it("a mutation that changes rights takes effect on the next request of this process", async () => {
    const marketer = as("all_county", "marketer");
    expect((await sqlOf(t, marketer, "{ viewer { role } }")).res.data.viewer.role).toBe("marketer");
    const members = await ok(t, "{ members(first: 50) { edges { node { id version user { id } } } } }");
    const member = members.members.edges.find((e: any) => e.node.user.id === demoUser("all_county", "marketer").id).node;
    await ok(t, `mutation { changeMemberRole(id: "${member.id}", role: viewer, expectedVersion: ${member.version}) { member { role } } }`);
    expect((await sqlOf(t, marketer, "{ viewer { role } }")).res.data.viewer.role).toBe("viewer");
  });
});

/** A Redis server of the test's own, on a free port, that the test can kill and start again. */
class DisposableRedis {
  proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get running() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, "127.0.0.1");
        s.once("connect", () => (s.destroy(), resolve(true)));
        s.once("error", () => resolve(false));
      });
      if (up) return;
    }
    throw new Error("redis-server did not start");
  }
  async kill() {
    const proc = this.proc;
    if (!proc || !this.running) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  }
}

describe.each([
  { outageMs: 1_000, what: "entries older than PRINCIPAL_CACHE_OUTAGE_MS are looked up again" },
  { outageMs: 30_000, what: "the cache is emptied when the channel comes back" },
])("principal cache without its invalidation channel: $what", ({ outageMs }) => {
  let t: TestApp;
  let prisma: Prisma;
  let redis: DisposableRedis;
  beforeAll(async () => {
    redis = new DisposableRedis(await freePort());
    await redis.start();
    t = await startTestApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: `h2o-test-${randomBytes(6).toString("hex")}:`, PRINCIPAL_CACHE_OUTAGE_MS: String(outageMs) });
    prisma = await seedDemo(t);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    if (redis && !redis.running) await redis.start(); // the pubsub's shutdown waits for Redis
    await t?.close();
    await redis?.kill();
  });

  it("never serves rights older than the bound while Redis is away, and clears what it has when Redis is back", async () => {
    await expect.poll(() => principalCache.channel, { timeout: 10_000 }).toBe("up");
    const dispatcher = as("h2o", "dispatcher");
    await sqlOf(t, dispatcher);
    const warmedAt = Date.now(); // the cached entry's lookup started before this
    expect((await sqlOf(t, dispatcher)).sql).toEqual([]);
    await redis.kill();
    await expect.poll(() => principalCache.channel, { timeout: 5_000 }).toBe("down");
    // a change whose invalidation cannot reach this process (made on another replica while Redis is away)
    await prisma.user.update({ where: { id: demoUser("h2o", "dispatcher").id }, data: { status: "disabled" } });
    const userRead = (sql: string[]) => sql.some((s) => s.includes(`FROM "public"."User"`));
    if (outageMs < 5_000) {
      // once the entry is older than the bound, the rights are looked up again
      await new Promise((r) => setTimeout(r, Math.max(0, warmedAt + outageMs + 20 - Date.now())));
      const late = await sqlOf(t, dispatcher, "{ tenant { slug } }");
      expect(late.res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(userRead(late.sql)).toBe(true);
      return;
    }
    // within the bound the entry is still served from memory (no lookup) ...
    const stale = await sqlOf(t, dispatcher);
    expect(stale.sql).toEqual([]);
    // ... until the channel is back: invalidations may have been missed, so everything is looked up again
    await redis.start();
    await expect.poll(() => principalCache.channel, { timeout: 10_000 }).toBe("up");
    const fresh = await sqlOf(t, dispatcher, "{ tenant { slug } }");
    expect(fresh.res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(userRead(fresh.sql)).toBe(true);
    expect(Date.now() - warmedAt).toBeLessThan(outageMs);
  });
});
