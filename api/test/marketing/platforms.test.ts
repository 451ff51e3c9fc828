import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { tokenContext } from "../../src/integrations/token-box.ts";
import { createLogger } from "../../src/logger.ts";
import { refreshExpiringTokens } from "../../src/marketing/refresh.ts";
import { createMarketingRuntime } from "../../src/marketing/runtime.ts";
import { as } from "../support/domain.ts";
import { googleError } from "../support/google-standin.ts";
import type { StandinControls } from "../support/standin-server.ts";
import { connectAccount, CREATE_POST, get, postState, schedulePost, START, startMarketing, type MarketingHarness } from "./helpers.ts";

const meta = (status: number, code: number, message: string) => ({ status, body: { error: { message, type: "OAuthException", code, fbtrace_id: "x" } } });

/** What differs between the platforms; the tests below are the same for each (and as the Facebook ones). */
interface Platform {
  platform: "INSTAGRAM" | "GOOGLE_BUSINESS";
  externalId: string;
  authorizePath: string;
  stand(h: MarketingHarness): StandinControls & { issued: string[] };
  /** The `METHOD path` of the call that makes the post (as faults match it) and its logged path. */
  publishCall: RegExp;
  publishLogged: (path: string) => boolean;
  tooMany: { status: number; body: unknown };
  outage: { status: number; body: unknown };
  badToken: { status: number; body: unknown };
  media: string[];
  /** The platform's ids and links of the posts with this text. */
  made(h: MarketingHarness, text: string): Array<{ id: string; url: string }>;
  refuseRefresh(h: MarketingHarness, on: boolean): void;
}

const platforms: Platform[] = [
  {
    platform: "INSTAGRAM",
    externalId: "17841400000000001",
    authorizePath: "/instagram/oauth/authorize",
    stand: (h) => h.meta,
    publishCall: /^POST \/instagram\/\d+\/media_publish$/,
    publishLogged: (p) => p.endsWith("/media_publish"),
    tooMany: meta(429, 4, "(#4) Application request limit reached"),
    outage: meta(503, 2, "(#2) Service temporarily unavailable"),
    badToken: meta(400, 190, "Error validating access token: The session has been invalidated"),
    media: ["https://cdn.example.com/spring.jpg"],
    made: (h, text) => h.meta.igMedia.filter((m) => m.caption === text).map((m) => ({ id: m.id, url: `https://www.instagram.com/p/${m.id}/` })),
    refuseRefresh: (h, on) => void (h.meta.refuseIgRefresh = on),
  },
  {
    platform: "GOOGLE_BUSINESS",
    externalId: "accounts/111/locations/222",
    authorizePath: "/o/oauth2/v2/auth",
    stand: (h) => h.google,
    publishCall: /^POST \/v4\/accounts\/111\/locations\/222\/localPosts$/,
    publishLogged: (p) => p === "/v4/accounts/111/locations/222/localPosts",
    tooMany: googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'"),
    outage: googleError(503, "UNAVAILABLE", "The service is currently unavailable."),
    badToken: googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    media: [],
    made: (h, text) => h.google.posts.filter((p) => p.summary === text).map((p) => ({ id: p.name, url: `https://local.google.com/place?id=222&use=posts&lpsid=${p.name.split("/").at(-1)}` })),
    refuseRefresh: (h, on) => void (h.google.refuseRefresh = on),
  },
];

describe.each(platforms)("$platform against its stand-in: connect with PKCE, publish, throttling, outage, refresh", (p) => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let account: { id: string };
  const rawId = (gid: string) => Buffer.from(gid, "base64").toString().split(":")[1]!;
  const scope = () => ({ prisma: h.prisma, services: { env: h.t.env, loginLimiter: undefined as never }, log: createLogger("silent") });
  const status = (id: string) => expect.poll(async () => (await postState(h, id)).status, { timeout: 20_000, interval: 100 });

  beforeAll(async () => {
    h = await startMarketing({ MARKETING_BREAKER_THRESHOLD: "3", MARKETING_BREAKER_HALF_OPEN_MS: "2000", MARKETING_MAX_INLINE_WAIT_MS: "3000", MARKETING_HTTP_ATTEMPTS: "3" });
    worker = await startWorker(h.t.env, h.t.db.url, createLogger(process.env.WORKER_LOG ?? "silent"), 2);
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  const start = async () => {
    const res = await h.t.gql<any>(START, { input: { platform: p.platform, returnTo: "/marketing" } }, as("all_county", "marketer"));
    expect(res.errors).toBeUndefined();
    return new URL(res.data.startChannelConnect.authorizationUrl);
  };

  it("connects: consent URL with state and an S256 challenge, callback to the dashboard, the candidate picked, CONNECTED", async () => {
    const url = await start();
    expect(url.pathname).toBe(p.authorizePath);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/\./);
    if (p.platform === "GOOGLE_BUSINESS") expect(url.searchParams.get("access_type")).toBe("offline");
    account = await connectAccount(h, p.platform, p.externalId);
    expect(account).toMatchObject({ platform: p.platform, externalId: p.externalId, status: "CONNECTED", breakerState: "CLOSED" });
    const row = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id: rawId(account.id) } });
    for (const token of p.stand(h).issued) expect(JSON.stringify(row)).not.toContain(token);
    expect(row.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a forged or replayed state (400) and a code whose verifier does not match its challenge; nothing is connected", async () => {
    const before = await h.prisma.channelAccount.count();
    const callback = new URL((await get((await start()).toString())).headers.get("location")!);
    const forged = new URL(callback);
    forged.searchParams.set("state", `${callback.searchParams.get("state")!.split(".")[0]}.forged`);
    expect((await get(forged.toString())).status).toBe(400);
    expect((await get(callback.toString())).status).toBe(302);
    expect((await get(callback.toString())).status).toBe(400);
    const url = await start();
    url.searchParams.set("code_challenge", createHash("sha256").update("an-attackers-verifier-an-attackers-verifier-0").digest("base64url"));
    const back = await get((await get(url.toString())).headers.get("location")!);
    const location = new URL(back.headers.get("location")!);
    expect(location.searchParams.get("connect")).toBeNull();
    expect(location.searchParams.get("connectError")).toBeTruthy();
    expect(p.stand(h).log.some((l) => /\/(oauth\/access_token|token)$/.test(l.path) && l.status === 400)).toBe(true);
    expect(await h.prisma.channelAccount.count()).toBe(before);
  });

  it("refuses a post beyond the platform's limits (marketingTextLimits) with BAD_USER_INPUT at the field, and creates nothing", async () => {
    const rules = (await h.t.gql<any>(`{ marketingTextLimits { platform maxLength maxHashtags requiresImage maxImages } }`, {}, as("all_county", "marketer"))).data.marketingTextLimits.find((r: any) => r.platform === p.platform);
    const image = (i: number) => `https://cdn.example.com/${i}.jpg`;
    const media = rules.requiresImage ? [image(0)] : [];
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ text: "x".repeat(rules.maxLength + 1), mediaUrls: media }, "text", new RegExp(`at most ${rules.maxLength} characters`)],
      [{ text: "ok", mediaUrls: Array.from({ length: rules.maxImages + 1 }, (_, i) => image(i)) }, "mediaUrls", /image|at most 10 media URLs/],
    ];
    if (rules.maxHashtags !== null) bad.push([{ text: Array.from({ length: rules.maxHashtags + 1 }, (_, i) => `#plumbing${i}`).join(" "), mediaUrls: media }, "text", new RegExp(`at most ${rules.maxHashtags} hashtags`)]);
    if (rules.requiresImage) bad.push([{ text: "no image", mediaUrls: [] }, "mediaUrls", /need an image/]);
    expect(bad.length).toBe(p.platform === "INSTAGRAM" ? 4 : 2);
    const count = await h.prisma.marketingPost.count();
    for (const [input, field, message] of bad) {
      const res = await h.t.gql<any>(CREATE_POST, { input: { ...input, channelAccountIds: [account.id] } }, as("all_county", "marketer"));
      expect(res.errors?.[0]?.extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", field] });
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(await h.prisma.marketingPost.count()).toBe(count);
    // at the limits exactly, it is accepted (as a draft: nothing is published)
    const fits = { text: rules.maxHashtags === null ? "x".repeat(rules.maxLength) : Array.from({ length: rules.maxHashtags }, (_, i) => `#plumbing${i}`).join(" "), mediaUrls: media.length ? media : [image(0)] };
    const ok = await h.t.gql<any>(`mutation($input: CreateMarketingPostInput!) { createMarketingPost(input: $input) { marketingPost { id status } } }`, { input: { ...fits, channelAccountIds: [account.id] } }, as("all_county", "marketer"));
    expect(ok.errors).toBeUndefined();
    expect(ok.data.createMarketingPost.marketingPost.status).toBe("DRAFT");
  });

  it("publishes through the worker and stores the platform's post id and link", async () => {
    const text = `${p.platform}: spring special, water heater flush $99`;
    const post = await schedulePost(h, text, [account.id], 200, "all_county", p.media);
    await status(post.id).toBe("PUBLISHED");
    const made = p.made(h, text);
    expect(made).toHaveLength(1);
    const state = await postState(h, post.id);
    expect(state.targets[0]).toMatchObject({ status: "PUBLISHED", externalPostId: made[0]!.id, externalUrl: made[0]!.url, attemptCount: 1 });
  });

  it("waits out a 429 with Retry-After, then publishes once", async () => {
    p.stand(h).faults.push({ match: p.publishCall, ...p.tooMany, headers: { "retry-after": "1" }, times: 1 });
    const started = Date.now();
    const text = `${p.platform}: Retry-After test`;
    const post = await schedulePost(h, text, [account.id], 0, "all_county", p.media);
    await status(post.id).toBe("PUBLISHED");
    expect(p.stand(h).log.filter((l) => l.method === "POST" && p.publishLogged(l.path)).slice(-2).map((l) => l.status)).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(p.made(h, text)).toHaveLength(1);
  });

  it("opens the account's breaker on a run of 5xx (nothing more is called while open), then recovers and publishes once", async () => {
    const stand = p.stand(h);
    stand.faults.push({ match: p.publishCall, ...p.outage, times: 1_000 });
    const before = stand.log.length;
    const text = `${p.platform}: breaker test`;
    const post = await schedulePost(h, text, [account.id], 0, "all_county", p.media);
    await expect.poll(async () => (await postState(h, post.id)).targets[0].channelAccount.breakerState, { timeout: 20_000, interval: 100 }).toBe("OPEN");
    const failed = () => stand.log.slice(before).filter((l) => l.status === p.outage.status).length;
    expect(failed()).toBe(3);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(failed()).toBe(3);
    stand.faults.length = 0;
    await status(post.id).toBe("PUBLISHED");
    // the breaker's transitions are recorded on the account as they happen, just after the call that caused them
    await expect.poll(async () => (await postState(h, post.id)).targets[0].channelAccount.breakerState, { timeout: 5_000, interval: 50 }).toBe("CLOSED");
    const state = await postState(h, post.id);
    expect(state.targets[0].attempts.map((a: any) => a.outcome)).toContain("retrying");
    expect(p.made(h, text)).toHaveLength(1);
  });

  it("refreshes a token about to expire, and marks the account NEEDS_RECONNECT when the platform refuses the refresh", async () => {
    const id = rawId(account.id);
    await h.prisma.channelAccount.update({ where: { id }, data: { tokenExpiresAt: new Date(Date.now() + 3_600_000) } });
    const runtime = createMarketingRuntime(h.t.env);
    const before = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    expect(await refreshExpiringTokens(scope(), runtime)).toEqual({ refreshed: 1, needsReconnect: 0, failed: 0 });
    const after = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    expect(after.accessTokenSealed).not.toBe(before.accessTokenSealed);
    expect(p.stand(h).issued).toContain(runtime.box.open(after.accessTokenSealed!, after.tokenKeyId, tokenContext.access(id)));
    if (p.platform === "GOOGLE_BUSINESS") // Google issues no new refresh token: the old one is kept
      expect(runtime.box.open(after.refreshTokenSealed!, after.tokenKeyId, tokenContext.refresh(id))).toBe(runtime.box.open(before.refreshTokenSealed!, before.tokenKeyId, tokenContext.refresh(id)));

    await h.prisma.channelAccount.update({ where: { id }, data: { tokenExpiresAt: new Date(Date.now() + 60_000) } });
    p.refuseRefresh(h, true);
    try {
      expect(await refreshExpiringTokens(scope(), runtime)).toEqual({ refreshed: 0, needsReconnect: 1, failed: 0 });
    } finally {
      p.refuseRefresh(h, false);
    }
    const refused = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    expect(refused.status).toBe("needs_reconnect");
    expect(refused.lastError).toMatch(/refresh refused/);
    const events = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "eventType" = 'channel_account.needs_reconnect' AND "entityId" = ${id}`;
    expect(events[0]!.n).toBe(1);
    // a post to it fails at once, without calling the platform
    const calls = p.stand(h).log.length;
    const post = await h.t.gql<any>(`mutation($input: CreateMarketingPostInput!) { createMarketingPost(input: $input) { marketingPost { id } } }`,
      { input: { text: "after refusal", mediaUrls: p.media, channelAccountIds: [account.id], scheduledAt: new Date().toISOString() } }, as("all_county", "marketer"));
    await status(post.data.createMarketingPost.marketingPost.id).toBe("FAILED");
    expect(p.stand(h).log.slice(calls).filter((l) => l.method === "POST" && p.publishLogged(l.path))).toHaveLength(0);
  });

  it("a token the platform refuses while publishing fails the channel and marks the account NEEDS_RECONNECT", async () => {
    account = await connectAccount(h, p.platform, p.externalId); // reconnect
    p.stand(h).faults.push({ match: p.publishCall, ...p.badToken, times: 1 });
    const post = await schedulePost(h, `${p.platform}: token test`, [account.id], 0, "all_county", p.media);
    await status(post.id).toBe("FAILED");
    const state = await postState(h, post.id);
    expect(state.targets[0]).toMatchObject({ status: "FAILED", channelAccount: { status: "NEEDS_RECONNECT" } });
  });

  it("disconnecting revokes the grant where the platform allows it (Google) and erases the tokens", async () => {
    account = await connectAccount(h, p.platform, p.externalId);
    const id = rawId(account.id);
    const runtime = createMarketingRuntime(h.t.env);
    const row = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    const refresh = row.refreshTokenSealed ? runtime.box.open(row.refreshTokenSealed, row.tokenKeyId, tokenContext.refresh(id)) : null;
    const calls = p.stand(h).log.length;
    const res = await h.t.gql<any>(`mutation($input: DisconnectChannelAccountInput!) { disconnectChannelAccount(input: $input) { channelAccount { status } } }`, { input: { id: account.id } }, as("all_county", "marketer"));
    expect(res.data.disconnectChannelAccount.channelAccount.status).toBe("DISCONNECTED");
    const after = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    expect([after.accessTokenSealed, after.refreshTokenSealed]).toEqual([null, null]);
    if (p.platform === "GOOGLE_BUSINESS") {
      expect(h.google.revoked).toContain(refresh);
      expect(h.google.log.slice(calls).map((l) => `${l.method} ${l.path} ${l.status}`)).toEqual(["POST /revoke 200"]);
    } else expect(p.stand(h).log.slice(calls)).toEqual([]); // Instagram has no revocation
  });
});
