import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenContext } from "../../src/integrations/token-box.ts";
import { createMarketingRuntime } from "../../src/marketing/runtime.ts";
import { as } from "../support/domain.ts";
import { COMPLETE, connectFacebook, get, startMarketing, START, WEB, type MarketingHarness } from "./helpers.ts";

describe("connecting a Facebook Page over OAuth (authorization code, PKCE, state) against the Meta stand-in", () => {
  let h: MarketingHarness;
  beforeAll(async () => {
    h = await startMarketing({ GOOGLE_CLIENT_ID: "" }); // Google left unconfigured: shown unavailable
  });
  afterAll(async () => h?.close());

  const start = async (tenant = "all_county") => {
    const res = await h.t.gql<any>(START, { input: { platform: "FACEBOOK", returnTo: "/marketing" } }, as(tenant, "marketer"));
    expect(res.errors).toBeUndefined();
    return new URL(res.data.startChannelConnect.authorizationUrl);
  };

  it("connects a Page: consent URL with S256 challenge and state, callback back to the dashboard, pick, CONNECTED", async () => {
    const url = await start();
    expect(url.origin + url.pathname).toBe(`${h.meta.url}/v25.0/dialog/oauth`);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("redirect_uri")).toBe(`${h.api}/integrations/facebook/callback`);
    const consent = await get(url.toString());
    const back = await get(consent.headers.get("location")!);
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get("location")!);
    expect(location.origin + location.pathname).toBe(`${WEB}/marketing`);
    const attemptId = location.searchParams.get("connect")!;
    const attempt = await h.t.gql<any>(`query($id: ID!) { channelConnectAttempt(id: $id) { platform candidates { externalId name } error } }`, { id: attemptId }, as("all_county", "marketer"));
    expect(attempt.data.channelConnectAttempt).toEqual({ platform: "FACEBOOK", candidates: [{ externalId: "1111", name: "All County Plumbing" }, { externalId: "2222", name: "All County Careers" }], error: null });
    const done = await h.t.gql<any>(COMPLETE, { input: { attemptId, externalId: "2222" } }, as("all_county", "marketer"));
    expect(done.errors).toBeUndefined();
    expect(done.data.completeChannelConnect.channelAccount).toMatchObject({ platform: "FACEBOOK", externalId: "2222", name: "All County Careers", status: "CONNECTED", breakerState: "CLOSED" });
    // the other tenant sees nothing of it
    const other = await h.t.gql<any>(`{ channelAccounts { totalCount } }`, {}, as("h2o", "marketer"));
    expect(other.data.channelAccounts.totalCount).toBe(0);
    const mine = await h.t.gql<any>(`{ channelAccounts { totalCount edges { node { name status } } } }`, {}, as("all_county", "viewer"));
    expect(mine.data.channelAccounts.edges).toEqual([{ node: { name: "All County Careers", status: "CONNECTED" } }]);
  });

  it("refuses a wrong or replayed state with 400 and changes nothing", async () => {
    const before = await h.prisma.channelAccount.count();
    const url = await start();
    const consent = await get(url.toString());
    const callback = new URL(consent.headers.get("location")!);
    const forged = new URL(callback);
    forged.searchParams.set("state", `${callback.searchParams.get("state")!.split(".")[0]}.forged-state`);
    expect((await get(forged.toString())).status).toBe(400);
    const noTenant = new URL(callback);
    noTenant.searchParams.set("state", "garbage");
    expect((await get(noTenant.toString())).status).toBe(400);
    expect((await get(callback.toString())).status).toBe(302); // the real one still works once
    expect((await get(callback.toString())).status).toBe(400); // and only once
    expect(await h.prisma.channelAccount.count()).toBe(before);
  });

  it("refuses a code whose PKCE verifier does not match: the platform says no, the attempt fails, no account", async () => {
    const before = await h.prisma.channelAccount.count();
    const url = await start();
    // an attacker's consent: a code bound to another challenge, delivered with our state
    url.searchParams.set("code_challenge", createHash("sha256").update("another-verifier-another-verifier-another-verifier").digest("base64url"));
    const consent = await get(url.toString());
    const back = await get(consent.headers.get("location")!);
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get("location")!);
    expect(location.searchParams.get("connect")).toBeNull();
    expect(location.searchParams.get("connectError")).toMatch(/refused/);
    expect(await h.prisma.channelAccount.count()).toBe(before);
    expect(h.meta.log.some((l) => l.path.endsWith("/oauth/access_token") && l.status === 400)).toBe(true);
  });

  it("refuses a pick that is not a candidate, and a marketer of another tenant, and a viewer", async () => {
    const url = await start();
    const back = await get((await get(url.toString())).headers.get("location")!);
    const attemptId = new URL(back.headers.get("location")!).searchParams.get("connect")!;
    const bad = await h.t.gql<any>(COMPLETE, { input: { attemptId, externalId: "9999" } }, as("all_county", "marketer"));
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const foreign = await h.t.gql<any>(COMPLETE, { input: { attemptId, externalId: "1111" } }, as("h2o", "marketer"));
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const viewer = await h.t.gql<any>(COMPLETE, { input: { attemptId, externalId: "1111" } }, as("all_county", "viewer"));
    expect(viewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const dispatcher = await h.t.gql<any>(START, { input: { platform: "FACEBOOK", returnTo: "/marketing" } }, as("all_county", "dispatcher"));
    expect(dispatcher.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("shows an unconfigured platform as unavailable, with the reason, and refuses to start it", async () => {
    const res = await h.t.gql<any>(`{ channelPlatforms { platform available unavailableReason } }`, {}, as("all_county", "marketer"));
    const google = res.data.channelPlatforms.find((p: any) => p.platform === "GOOGLE_BUSINESS");
    expect(google.available).toBe(false);
    expect(google.unavailableReason).toMatch(/GOOGLE_CLIENT_ID/);
    expect(res.data.channelPlatforms.find((p: any) => p.platform === "FACEBOOK").available).toBe(true);
    const start = await h.t.gql<any>(START, { input: { platform: "GOOGLE_BUSINESS", returnTo: "/marketing" } }, as("all_county", "marketer"));
    expect(start.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("keeps every token out of the database in plaintext, and out of audit rows, events and webhooks", async () => {
    await connectFacebook(h, "1111");
    expect(h.meta.issued.length).toBeGreaterThan(3);
    const db = new pg.Client({ connectionString: h.t.db.url });
    await db.connect();
    try {
      for (const table of ["ChannelAccount", "ChannelConnectAttempt", "AuditEvent", "WebhookMessage"]) {
        const { rows } = await db.query(`SELECT x::text AS row FROM "${table}" x`);
        if (table === "ChannelAccount") expect(rows.length).toBe(2);
        for (const { row } of rows) for (const token of h.meta.issued) expect(row).not.toContain(token);
      }
      const { rows: audit } = await db.query(`SELECT "after"::text AS after FROM "AuditEvent" WHERE "eventType" = 'channel_account.connected'`);
      expect(audit.length).toBe(2);
      for (const { after } of audit) expect(after).not.toMatch(/Sealed|tokenKeyId/);
    } finally {
      await db.end();
    }
  });

  it("disconnecting a Page revokes the app's permissions with the user's token (DELETE /me/permissions), so its tokens stop working, and erases them", async () => {
    const account = await connectFacebook(h, "2222");
    const id = Buffer.from(account.id, "base64").toString().split(":")[1]!;
    const runtime = createMarketingRuntime(h.t.env);
    const row = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    const pageToken = runtime.box.open(row.accessTokenSealed!, row.tokenKeyId, tokenContext.access(id));
    const userToken = runtime.box.open(row.refreshTokenSealed!, row.tokenKeyId, tokenContext.refresh(id));
    const calls = h.meta.log.length;
    const res = await h.t.gql<any>(`mutation($input: DisconnectChannelAccountInput!) { disconnectChannelAccount(input: $input) { channelAccount { status } } }`, { input: { id: account.id } }, as("all_county", "marketer"));
    expect(res.errors).toBeUndefined();
    expect(res.data.disconnectChannelAccount.channelAccount.status).toBe("DISCONNECTED");
    expect(h.meta.log.slice(calls).map((l) => `${l.method} ${l.path} ${l.status}`)).toEqual(["DELETE /v25.0/me/permissions 200"]);
    expect(h.meta.revoked).toEqual([userToken]);
    // at the platform the grant is gone: the Page token no longer posts
    const post = await fetch(`${h.meta.url}/v25.0/2222/feed`, { method: "POST", body: new URLSearchParams({ message: "after disconnect", access_token: pageToken }) });
    expect((await post.json()).error).toMatchObject({ code: 190 });
    const after = await h.prisma.channelAccount.findUniqueOrThrow({ where: { id } });
    expect([after.accessTokenSealed, after.refreshTokenSealed, after.tokenExpiresAt]).toEqual([null, null, null]);
  });
});
