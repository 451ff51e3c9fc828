import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { repoRoot } from "../src/env.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedDemo } from "./support/domain.ts";
import { connect, subscribe, waitForEvents, waitForOperations } from "./support/ws.ts";

const run = promisify(execFile);

/** Operator commands change data through the same pipeline as the API: audited, with the system as actor. */
describe("npm run cli", () => {
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
  const cli = (...args: string[]) =>
    run(process.execPath, ["--import", "tsx", "api/src/cli.ts", ...args], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: "silent", NODE_ENV: "test" } });

  it("user:create and apikey:create write through the pipeline and leave one audit row each", async () => {
    await cli("user:create", "--email", "Ops@Example.com", "--password", "long-enough-pw", "--tenant", "h2o", "--role", "dispatcher");
    const { stdout } = await cli("apikey:create", "--tenant", "h2o", "--name", "CRM", "--scopes", "read:service_calls");
    const key = stdout.match(/h2okey_[0-9a-f]{12}_[\w-]{43}/)?.[0];
    expect(key).toBeDefined();
    const user = await prisma.user.findUniqueOrThrow({ where: { email: "ops@example.com" }, include: { memberships: true } });
    expect(user.memberships.map((m) => m.role)).toEqual(["dispatcher"]);
    const audit = await prisma.auditEvent.findMany({ where: { entityType: { in: ["membership", "api_key"] } }, orderBy: { changedAt: "asc" } });
    expect(audit.map((a) => [a.entityType, a.actorKind, a.actorLabel])).toEqual([["membership", "system", "cli"], ["api_key", "system", "cli"]]);
    expect(JSON.stringify(audit)).not.toContain(key!);
    await expect(cli("user:create", "--email", "x@y.io", "--password", "long-enough-pw", "--tenant", "nope", "--role", "viewer")).rejects.toThrow(/no active tenant "nope"/);
  }, 60_000);

  it("without Redis, publishes its changes through PostgreSQL (LISTEN/NOTIFY), so the API's subscribers hear of them", async () => {
    const { port } = await t.app.start();
    const live = connect(port, "h2o");
    try {
      const sub = subscribe(live, `subscription { tenantEvents(types: ["api_key.*"]) { type } }`);
      await waitForOperations(port, 1);
      const { REDIS_URL: _redis, TEST_REDIS_URL: _testRedis, ...noRedis } = process.env;
      await run(process.execPath, ["--import", "tsx", "api/src/cli.ts", "apikey:create", "--tenant", "h2o", "--name", "Bridged", "--scopes", "read:jobs"], {
        cwd: repoRoot,
        env: { ...noRedis, DATABASE_URL: t.db.url, LOG_LEVEL: "silent", NODE_ENV: "test" },
      });
      await waitForEvents(sub, 1);
      expect(sub.events[0].tenantEvents.type).toBe("api_key.created");
    } finally {
      await live.dispose();
    }
  }, 60_000);

  it("publishes its changes through Redis, so subscribers on API replicas hear of them", async () => {
    const prefix = `h2o-test-${randomBytes(6).toString("hex")}:`;
    const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      const heard: string[] = [];
      redis.on("pmessage", (_pattern, channel: string, message: string) => heard.push(`${channel.slice(prefix.length)} ${JSON.parse(message).type}`));
      await redis.psubscribe(`${prefix}*`);
      const h2o = await prisma.tenant.findUniqueOrThrow({ where: { slug: "h2o" } });
      await run(process.execPath, ["--import", "tsx", "api/src/cli.ts", "apikey:create", "--tenant", "h2o", "--name", "Live", "--scopes", "read:jobs"], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: "silent", NODE_ENV: "test", REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", REDIS_KEY_PREFIX: prefix },
      });
      await expect.poll(() => heard).toContainEqual(`tenant:${h2o.id}:api_key api_key.created`);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
