import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { repoRoot } from "../src/env.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedDemo } from "./support/domain.ts";

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
});
