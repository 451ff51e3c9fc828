import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";
import { TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { as, CREATE_JOB, seedDemo } from "./support/domain.ts";
import { startReplica, stopReplica as stop, type Replica } from "./support/replicas.ts";
import { connect, subscribe, waitForEvents, waitForOperations, type LiveClient } from "./support/ws.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

async function gql(port: number, query: string, variables: Record<string, unknown>, tenant: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...as(tenant) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

describe("fan-out across two API processes through Redis", () => {
  let db: TestDatabase;
  let redis: Redis;
  let a: Replica;
  let b: Replica;
  let allCounty: string;
  let h2o: string;
  let builderId: string;
  const prefix = `h2o-test-${randomBytes(6).toString("hex")}:`;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) });
    const prisma = await seedDemo({ db, env } as TestApp);
    allCounty = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    h2o = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "h2o" } })).id;
    builderId = Buffer.from(`Builder:${(await prisma.builder.findFirstOrThrow()).id}`).toString("base64");
    await prisma.$disconnect();
    redis = new Redis(REDIS_URL);
    const replicaEnv = { DATABASE_URL: db.url, REDIS_URL, REDIS_KEY_PREFIX: prefix, NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all([a && stop(a.proc), b && stop(b.proc)]);
    redis?.disconnect();
    await db?.drop();
  });

  /** Waits until a replica has SUBSCRIBEd to a topic's Redis channel. */
  const subscribedInRedis = (topic: string, n: number) =>
    expect.poll(async () => ((await redis.pubsub("NUMSUB", prefix + topic)) as [string, number])[1], { timeout: 10_000, interval: 25 }).toBeGreaterThanOrEqual(n);

  it("delivers a mutation served by replica A to a subscriber on replica B, and nothing to another tenant", async () => {
    const onB = connect(b.port, "all_county");
    const otherTenantOnB = connect(b.port, "h2o");
    const onA = connect(a.port, "all_county");
    clients.push(onB, otherTenantOnB, onA);
    const remote = subscribe(onB, `subscription { jobChanged { type occurredAt job { id community status builder { id } } } }`);
    const local = subscribe(onA, `subscription { jobChanged { type job { community } } }`);
    const otherTenant = subscribe(otherTenantOnB, `subscription { tenantEvents { type } }`);
    await waitForOperations(b.port, 2);
    await waitForOperations(a.port, 1);
    await subscribedInRedis(`tenant:${allCounty}:job`, 2);
    await subscribedInRedis(`tenant:${h2o}:*`, 1);

    const created = await gql(
      a.port,
      CREATE_JOB,
      { input: { builderId, community: "Across Replicas", scheduledDate: "2026-07-01" } },
      "all_county",
    );
    await waitForEvents(remote, 1);
    expect(remote.events[0].jobChanged).toMatchObject({
      type: "job.created",
      job: { id: created.createJob.job.id, community: "Across Replicas", status: "SCHEDULED", builder: { id: builderId } },
    });
    expect(Number.isNaN(Date.parse(remote.events[0].jobChanged.occurredAt))).toBe(false);
    await waitForEvents(local, 1);

    // the other tenant's subscriber on B is live (its own change, made on A, arrives) and saw nothing of the first
    await gql(a.port, `mutation($input: CreateServiceCallInput!) { createServiceCall(input: $input) { serviceCall { id } } }`, {
      input: { customerName: "Lee Roe", customerPhone: "3055550101", addressLine1: "2 Main St", problem: "Clog" },
    }, "h2o");
    await waitForEvents(otherTenant, 1);
    expect(otherTenant.events).toEqual([{ tenantEvents: { type: "service_call.created" } }]);
    expect(remote.events).toHaveLength(1);
  });
});
