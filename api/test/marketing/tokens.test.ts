import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/env.ts";
import { keyIdOf, TokenBox, tokenContext } from "../../src/integrations/token-box.ts";
import { createLogger } from "../../src/logger.ts";
import { reencryptTokens } from "../../src/marketing/reencrypt.ts";
import { refreshExpiringTokens } from "../../src/marketing/refresh.ts";
import { createMarketingRuntime } from "../../src/marketing/runtime.ts";
import { loadEnv } from "../../src/env.ts";
import { metaEnv } from "../support/meta-standin.ts";
import { connectFacebook, startMarketing, type MarketingHarness } from "./helpers.ts";

const run = promisify(execFile);

describe("channel account tokens: refresh before expiry, NEEDS_RECONNECT when refused, key rotation", () => {
  let h: MarketingHarness;
  let accountId: string;
  const scope = () => ({ prisma: h.prisma, services: { env: h.t.env, loginLimiter: undefined as never }, log: createLogger("silent") });

  beforeAll(async () => {
    h = await startMarketing();
    const account = await connectFacebook(h, "1111");
    accountId = Buffer.from(account.id, "base64").toString().split(":")[1]!;
  });
  afterAll(async () => h?.close());

  it("refreshes a token about to expire (Meta: a new long-lived user token, then the Page token again)", async () => {
    const soon = new Date(Date.now() + 3_600_000);
    await h.prisma.channelAccount.update({ where: { id: accountId }, data: { tokenExpiresAt: soon } });
    const before = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    const runtime = createMarketingRuntime(h.t.env);
    expect(await refreshExpiringTokens(scope(), runtime)).toEqual({ refreshed: 1, needsReconnect: 0, failed: 0 });
    const after = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(after.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 59 * 86_400_000);
    expect(after.accessTokenSealed).not.toBe(before.accessTokenSealed);
    const token = runtime.box.open(after.accessTokenSealed!, after.tokenKeyId, tokenContext.access(accountId));
    expect(h.meta.issued).toContain(token);
    expect(h.meta.log.filter((l) => l.path.endsWith("/oauth/access_token")).length).toBeGreaterThanOrEqual(2);
    // nothing to do for a token far from expiry
    expect(await refreshExpiringTokens(scope(), runtime)).toEqual({ refreshed: 0, needsReconnect: 0, failed: 0 });
  });

  it("marks the account NEEDS_RECONNECT when the platform refuses the refresh (expired user token), with an event", async () => {
    await h.prisma.channelAccount.update({ where: { id: accountId }, data: { tokenExpiresAt: new Date(Date.now() + 60_000) } });
    h.meta.refuseExchange = true;
    try {
      expect(await refreshExpiringTokens(scope(), createMarketingRuntime(h.t.env))).toEqual({ refreshed: 0, needsReconnect: 1, failed: 0 });
    } finally {
      h.meta.refuseExchange = false;
    }
    const after = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(after.status).toBe("needs_reconnect");
    expect(after.lastError).toMatch(/refresh refused.*190|expired/i);
    const events = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "eventType" = 'channel_account.needs_reconnect' AND "entityId" = ${accountId}`;
    expect(events[0]!.n).toBe(1);
    await connectFacebook(h, "1111"); // reconnecting restores it
    expect((await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } })).status).toBe("connected");
  });

  it("re-encrypts every token under a new key (tokens:reencrypt); afterwards the old key is not needed", async () => {
    const oldKey = h.t.env.ENCRYPTION_KEY;
    const newKey = randomBytes(32).toString("hex");
    const before = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    const plain = new TokenBox(oldKey).open(before.accessTokenSealed!, before.tokenKeyId, tokenContext.access(accountId));
    expect(before.tokenKeyId).toBe(keyIdOf(oldKey));
    const env = { ...process.env, DATABASE_URL: h.t.db.url, LOG_LEVEL: "silent", NODE_ENV: "test", JWT_SECRET: h.t.env.JWT_SECRET, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey };
    const { stdout } = await run(process.execPath, ["--import", "tsx", "api/src/cli.ts", "tokens:reencrypt"], { cwd: repoRoot, env });
    expect(stdout).toMatch(/1 channel accounts/);
    expect(stdout).not.toContain(plain);
    const rows = await h.prisma.channelAccount.findMany();
    expect(rows.every((r) => r.tokenKeyId === keyIdOf(newKey))).toBe(true);
    const onlyNew = new TokenBox(newKey);
    const after = rows.find((r) => r.id === accountId)!;
    expect(onlyNew.open(after.accessTokenSealed!, after.tokenKeyId, tokenContext.access(accountId))).toBe(plain);
    expect(() => new TokenBox(oldKey).open(after.accessTokenSealed!, after.tokenKeyId, tokenContext.access(accountId))).toThrow();
    // the module works with the new key alone: a refresh opens and re-seals the rotated tokens
    await h.prisma.channelAccount.update({ where: { id: accountId }, data: { tokenExpiresAt: new Date(Date.now() + 60_000) } });
    const newEnv = loadEnv({ ...metaEnv(h.meta), NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: h.t.env.JWT_SECRET, ENCRYPTION_KEY: newKey });
    expect(await refreshExpiringTokens(scope(), createMarketingRuntime(newEnv))).toMatchObject({ refreshed: 1 });
    // running it again changes nothing
    expect(await reencryptTokens(h.prisma, onlyNew)).toEqual({ accounts: 0, attempts: 0 });
  }, 180_000);
});
