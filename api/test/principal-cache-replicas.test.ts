import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, demoUser } from "../../prisma/seed.ts";
import { loadEnv } from "../src/env.ts";
import { TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { as, seedDemo } from "./support/domain.ts";
import { startReplica, stopReplica, type Replica } from "./support/replicas.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

type Headers = Record<string, string>;

async function post(port: number, query: string, headers: Headers, variables: Record<string, unknown> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function must(port: number, query: string, headers: Headers, variables?: Record<string, unknown>) {
  const body = await post(port, query, headers, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

/** The replica's principal-cache hits so far (its /metrics). */
async function cacheHits(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^principal_cache_lookups_total\{result="hit"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

const PROBE = "{ viewer { role } tenant { slug } }";

describe("principal cache: every kind of revocation reaches the other API process within a second", () => {
  let db: TestDatabase;
  let a: Replica;
  let b: Replica;
  const owner = (tenant: string) => as(tenant, "owner");

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) });
    await (await seedDemo({ db, env } as TestApp)).$disconnect();
    const replicaEnv = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `h2o-test-${randomBytes(6).toString("hex")}:`,
      NODE_ENV: "test",
      JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEY: "0".repeat(64),
      RATE_LIMIT_USER_PER_MINUTE: "100000",
    };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a && stopReplica(a.proc), b && stopReplica(b.proc)]);
    await db?.drop();
  });

  /** Warms both replicas with `headers`, checks B answers from its cache, then returns the probe B answers. */
  async function warm(headers: Headers, query = PROBE) {
    await must(a.port, query, headers);
    await must(b.port, query, headers);
    const hits = await cacheHits(b.port);
    const data = await must(b.port, query, headers);
    expect(await cacheHits(b.port)).toBeGreaterThan(hits);
    return data;
  }

  /** After `change` ran on A: how long until B answers `query` with `refusal` (at most 1 s, polling every 20 ms). */
  async function untilRefusedOnB(headers: Headers, refusal: (body: Awaited<ReturnType<typeof post>>) => boolean, query = PROBE) {
    const since = Date.now();
    for (;;) {
      if (refusal(await post(b.port, query, headers))) return Date.now() - since;
      if (Date.now() - since > 1_000) throw new Error("replica B still honours the revoked rights after 1 s");
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const code = (c: string) => (body: Awaited<ReturnType<typeof post>>) => body.errors?.[0]?.extensions?.code === c;

  async function memberId(tenant: string, userId: string) {
    const data = await must(a.port, "{ members(first: 100) { edges { node { id version user { id } } } } }", owner(tenant));
    return data.members.edges.find((e: any) => e.node.user.id === userId).node as { id: string; version: number };
  }

  it("user disabled", async () => {
    const viewer = as("all_county", "viewer");
    await warm(viewer);
    const member = await memberId("all_county", demoUser("all_county", "viewer").id);
    await must(a.port, `mutation { disableUser(id: "${member.id}") { member { id } } }`, owner("all_county"));
    expect(await untilRefusedOnB(viewer, code("UNAUTHENTICATED"))).toBeLessThan(1_000);
  });

  it("removed from the tenant", async () => {
    const marketer = as("all_county", "marketer");
    await warm(marketer);
    const member = await memberId("all_county", demoUser("all_county", "marketer").id);
    await must(a.port, `mutation { removeMember(id: "${member.id}") { member { id } } }`, owner("all_county"));
    expect(await untilRefusedOnB(marketer, code("FORBIDDEN"))).toBeLessThan(1_000);
  });

  it("role changed", async () => {
    const dispatcher = as("all_county", "dispatcher");
    expect((await warm(dispatcher)).viewer.role).toBe("dispatcher");
    const member = await memberId("all_county", demoUser("all_county", "dispatcher").id);
    await must(a.port, `mutation { changeMemberRole(id: "${member.id}", role: viewer, expectedVersion: ${member.version}) { member { role } } }`, owner("all_county"));
    expect(await untilRefusedOnB(dispatcher, (body) => body.data?.viewer?.role === "viewer")).toBeLessThan(1_000);
  });

  it("API key revoked", async () => {
    const created = await must(a.port, 'mutation { createApiKey(input: { name: "replicas", scopes: ["read:jobs"] }) { key apiKey { id } } }', owner("all_county"));
    const key = { authorization: `Bearer ${created.createApiKey.key}` };
    const query = "{ jobs(first: 1) { totalCount } }";
    await warm(key, query);
    await must(a.port, `mutation { revokeApiKey(id: "${created.createApiKey.apiKey.id}") { revokedAt } }`, owner("all_county"));
    expect(await untilRefusedOnB(key, code("UNAUTHENTICATED"), query)).toBeLessThan(1_000);
  });

  it("tenant capability switched off", async () => {
    const dispatcher = as("h2o", "dispatcher");
    const query = "{ serviceCalls(first: 1) { totalCount } }";
    await warm(dispatcher, query);
    const { tenant } = await must(a.port, "{ tenant { config { version } } }", owner("h2o"));
    await must(a.port, `mutation { updateTenantConfig(input: { expectedVersion: ${tenant.config.version}, capabilities: { serviceCalls: false } }) { tenantConfig { version } } }`, owner("h2o"));
    expect(await untilRefusedOnB(dispatcher, code("FORBIDDEN"), query)).toBeLessThan(1_000);
  });

  const LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }";
  const REFRESH = "mutation($t: String) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";
  const login = async (email: string) => (await must(a.port, LOGIN, {}, { email, password: DEMO_PASSWORD })).login as { accessToken: string; refreshToken: string };

  it("logout", async () => {
    const session = await login(demoUser("h2o", "viewer").email);
    const bearer = { authorization: `Bearer ${session.accessToken}` };
    await warm(bearer);
    expect((await must(a.port, "mutation { logout }", bearer)).logout).toBe(true);
    expect(await untilRefusedOnB(bearer, code("UNAUTHENTICATED"))).toBeLessThan(1_000);
  });

  it("refresh-token reuse", async () => {
    const first = await login(demoUser("h2o", "estimator").email);
    const second = (await must(a.port, REFRESH, {}, { t: first.refreshToken })).refreshSession;
    const bearer = { authorization: `Bearer ${second.accessToken}` };
    await warm(bearer);
    const reuse = await post(a.port, REFRESH, {}, { t: first.refreshToken });
    expect(reuse.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await untilRefusedOnB(bearer, code("UNAUTHENTICATED"))).toBeLessThan(1_000);
  });
});
