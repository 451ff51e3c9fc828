import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/env.ts";
import { keyIdOf, TokenBox, tokenContext } from "../../src/integrations/token-box.ts";
import { startWorker } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { reencryptTokens } from "../../src/marketing/reencrypt.ts";
import { refreshExpiringTokens } from "../../src/marketing/refresh.ts";
import { createMarketingRuntime } from "../../src/marketing/runtime.ts";
import { loadEnv } from "../../src/env.ts";
import { metaEnv } from "../support/meta-standin.ts";
import { as } from "../support/domain.ts";
import { googleEnv } from "../support/google-standin.ts";
import { connectAccount, connectFacebook, START, startMarketing, type MarketingHarness } from "./helpers.ts";

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

  it("the worker refreshes on its own: marketing.refresh_tokens is on its hourly schedule, and a run of it refreshes a token about to expire", async () => {
    const worker = await startWorker(h.t.env, h.t.db.url, createLogger("silent"), 1);
    try {
      const crons = async () => (await h.prisma.$queryRaw<Array<{ identifier: string }>>`SELECT identifier FROM graphile_worker._private_known_crontabs`).map((c) => c.identifier);
      await expect.poll(crons, { timeout: 10_000, interval: 100 }).toContain("marketing.refresh_tokens");
      await h.prisma.channelAccount.update({ where: { id: accountId }, data: { tokenExpiresAt: new Date(Date.now() + 3_600_000) } });
      await h.prisma.$queryRaw`SELECT id FROM graphile_worker.add_job('marketing.refresh_tokens', '{}'::json)`; // what the schedule enqueues each hour
      const expiresAt = async () => (await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: accountId } })).tokenExpiresAt!.getTime();
      await expect.poll(expiresAt, { timeout: 15_000, interval: 100 }).toBeGreaterThan(Date.now() + 59 * 86_400_000);
    } finally {
      await worker.stop();
    }
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

  it("re-encrypts every token of every platform under a new key (tokens:reencrypt); afterwards the old key is not needed", async () => {
    // an account of each platform (Google's with a refresh token) and a connect flow still in progress
    await connectAccount(h, "INSTAGRAM", h.meta.igUser.id);
    await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");
    const started = await h.t.gql<any>(START, { input: { platform: "GOOGLE_BUSINESS", returnTo: "/marketing" } }, as("all_county", "marketer"));
    expect(started.errors).toBeUndefined();
    const oldKey = h.t.env.ENCRYPTION_KEY;
    const newKey = randomBytes(32).toString("hex");
    const oldBox = new TokenBox(oldKey);
    const accountsBefore = await h.prisma.channelAccount.findMany({ where: { accessTokenSealed: { not: null } }, orderBy: { platform: "asc" } });
    expect(accountsBefore.map((a) => a.platform)).toEqual(["facebook", "instagram", "google_business"]); // the enum's order
    const attemptsBefore = await h.prisma.channelConnectAttempt.findMany();
    expect(attemptsBefore.length).toBeGreaterThanOrEqual(1);
    const plain = new Map<string, string>();
    for (const a of accountsBefore) {
      expect(a.tokenKeyId).toBe(keyIdOf(oldKey));
      plain.set(`${a.id}:access`, oldBox.open(a.accessTokenSealed!, a.tokenKeyId, tokenContext.access(a.id)));
      if (a.refreshTokenSealed) plain.set(`${a.id}:refresh`, oldBox.open(a.refreshTokenSealed, a.tokenKeyId, tokenContext.refresh(a.id)));
    }
    expect(accountsBefore.find((a) => a.platform === "google_business")!.refreshTokenSealed).not.toBeNull();
    for (const a of attemptsBefore) plain.set(`${a.id}:verifier`, oldBox.open(a.codeVerifierSealed, a.tokenKeyId, tokenContext.verifier(a.id)));

    const env = { ...process.env, DATABASE_URL: h.t.db.url, LOG_LEVEL: "silent", NODE_ENV: "test", JWT_SECRET: h.t.env.JWT_SECRET, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey };
    const { stdout } = await run(process.execPath, ["--import", "tsx", "api/src/cli.ts", "tokens:reencrypt"], { cwd: repoRoot, env });
    expect(stdout).toContain(`${await h.prisma.channelAccount.count()} channel accounts, ${attemptsBefore.length} connect attempts re-sealed`);
    for (const token of plain.values()) expect(stdout).not.toContain(token);

    const onlyNew = new TokenBox(newKey);
    const accounts = await h.prisma.channelAccount.findMany();
    expect(accounts.every((r) => r.tokenKeyId === keyIdOf(newKey))).toBe(true);
    for (const a of accounts.filter((x) => x.accessTokenSealed)) {
      expect(onlyNew.open(a.accessTokenSealed!, a.tokenKeyId, tokenContext.access(a.id)), a.platform).toBe(plain.get(`${a.id}:access`));
      expect(() => oldBox.open(a.accessTokenSealed!, a.tokenKeyId, tokenContext.access(a.id)), a.platform).toThrow();
      if (a.refreshTokenSealed) expect(onlyNew.open(a.refreshTokenSealed, a.tokenKeyId, tokenContext.refresh(a.id)), a.platform).toBe(plain.get(`${a.id}:refresh`));
    }
    for (const a of await h.prisma.channelConnectAttempt.findMany()) {
      expect(a.tokenKeyId).toBe(keyIdOf(newKey));
      expect(onlyNew.open(a.codeVerifierSealed, a.tokenKeyId, tokenContext.verifier(a.id))).toBe(plain.get(`${a.id}:verifier`));
    }
    // the module works with the new key alone: refreshes (Meta's exchange, Google's refresh token) open and re-seal the rotated tokens
    const facebook = accounts.find((a) => a.platform === "facebook")!;
    const google = accounts.find((a) => a.platform === "google_business")!;
    await h.prisma.channelAccount.updateMany({ where: { id: { in: [facebook.id, google.id] } }, data: { tokenExpiresAt: new Date(Date.now() + 60_000) } });
    const newEnv = loadEnv({ ...metaEnv(h.meta), ...googleEnv(h.google), NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: h.t.env.JWT_SECRET, ENCRYPTION_KEY: newKey });
    expect(await refreshExpiringTokens(scope(), createMarketingRuntime(newEnv))).toMatchObject({ refreshed: 2, needsReconnect: 0, failed: 0 });
    // running it again changes nothing
    expect(await reencryptTokens(h.prisma, onlyNew)).toEqual({ accounts: 0, attempts: 0 });
  }, 180_000);
  it("no token of any platform is in the database in plaintext: every table and the worker's queue, audit rows and events included", async () => {
    const issued = [...h.meta.issued, ...h.google.issued];
    expect(h.meta.issued.length).toBeGreaterThan(3);
    expect(h.google.issued.length).toBeGreaterThanOrEqual(3); // access and refresh tokens, and the refresh's new access token
    const db = new pg.Client({ connectionString: h.t.db.url });
    await db.connect();
    try {
      const { rows: tables } = await db.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN ('public', 'graphile_worker') ORDER BY 1, 2`,
      );
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["ChannelAccount", "ChannelConnectAttempt", "AuditEvent", "WebhookMessage", "MarketingInboundEvent", "_private_jobs"]));
      for (const { schema, name } of tables) {
        const { rows } = await db.query(`SELECT x::text AS row FROM "${schema}"."${name}" x`);
        if (name === "ChannelAccount") expect(rows.length).toBe(3); // Facebook, Instagram, Google
        for (const { row } of rows) for (const token of issued) expect(row, `${schema}.${name}`).not.toContain(token);
      }
      const { rows: audit } = await db.query(`SELECT "after"::text AS after FROM "AuditEvent" WHERE "entityType" = 'channel_account'`);
      expect(audit.length).toBeGreaterThanOrEqual(4);
      for (const { after } of audit) expect(after ?? "").not.toMatch(/Sealed|tokenKeyId|grantUserId/);
    } finally {
      await db.end();
    }
  });
});
