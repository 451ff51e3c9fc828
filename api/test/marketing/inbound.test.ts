import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { as } from "../support/domain.ts";
import { signedRequest, signWebhook } from "../support/meta-standin.ts";
import { connect, subscribe, waitForEvents, waitForOperations, type LiveClient } from "../support/ws.ts";
import { connectAccount, connectFacebook, startMarketing, type MarketingHarness } from "./helpers.ts";

const VERIFY = "meta-verify-token-0123456789";
const PUBSUB = "pubsub-push-token-0123456789";

const pageFeed = (pageId: string, verb: string) =>
  JSON.stringify({ object: "page", entry: [{ id: pageId, time: Math.floor(Date.now() / 1000), changes: [{ field: "feed", value: { item: "comment", verb, post_id: `${pageId}_1`, comment_id: "c1" } }] }] });

const LIVE = `subscription { marketingChanged(types: ["channel_account.notified"]) { type channelAccount { externalId lastNotification lastNotifiedAt } marketingPost { id } } }`;

describe("inbound platform webhooks: Meta (Pages, Instagram) and Google Pub/Sub push", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let live: LiveClient;
  const port = () => Number(new URL(h.api).port);
  const inboundCount = () => h.prisma.marketingInboundEvent.count();
  const inboundJobs = async () => (await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'marketing.inbound'`)[0]!.n;
  const post = (platform: string, body: string, headers: Record<string, string> = {}, query = "") =>
    fetch(`${h.api}/integrations/${platform}/webhook${query}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  beforeAll(async () => {
    h = await startMarketing({ META_WEBHOOK_VERIFY_TOKEN: VERIFY, GOOGLE_PUBSUB_VERIFICATION_TOKEN: PUBSUB });
    await connectFacebook(h, "1111");
    await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");
    await connectAccount(h, "INSTAGRAM", h.meta.igUser.id);
    live = connect(port(), "all_county");
  });
  afterAll(async () => {
    await live?.dispose();
    await worker?.stop();
    await h?.close();
  });

  it("answers Meta's subscription handshake with the challenge only for the right verify token", async () => {
    const ok = await fetch(`${h.api}/integrations/facebook/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("1158201444");
    const wrong = await fetch(`${h.api}/integrations/facebook/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope`);
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain("1158201444");
    expect((await fetch(`${h.api}/integrations/instagram/webhook?hub.mode=subscribe&hub.challenge=7&hub.verify_token=${VERIFY}`)).status).toBe(200);
  });

  it("refuses unsigned, badly signed and wrongly keyed notifications with 401 and changes nothing", async () => {
    const before = { rows: await inboundCount(), jobs: await inboundJobs() };
    const body = pageFeed("1111", "add");
    const attempts = [
      await post("facebook", body),
      await post("facebook", body, { "x-hub-signature-256": "sha256=" + "0".repeat(64) }),
      await post("facebook", body, { "x-hub-signature-256": signWebhook(body, h.meta.igAppSecret) }), // another app's secret
      await post("facebook", body + " ", { "x-hub-signature-256": signWebhook(body, h.meta.appSecret) }), // body altered after signing
      await post("instagram", body, { "x-hub-signature-256": signWebhook(body, h.meta.appSecret) }), // Instagram's are signed with the Instagram app secret
      await post("google_business", JSON.stringify({ message: { data: "e30=", messageId: "1" } }), {}, "?token=wrong"),
      await post("google_business", JSON.stringify({ message: { data: "e30=", messageId: "1" } })),
    ];
    expect(attempts.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect({ rows: await inboundCount(), jobs: await inboundJobs() }).toEqual(before);
    const account = await h.prisma.channelAccount.findFirstOrThrow({ where: { externalId: "1111" } });
    expect(account.lastNotifiedAt).toBeNull();
  });

  it("stores a genuine Page notification with its job in one go, answers 200 at once, and a redelivery changes nothing", async () => {
    const body = pageFeed("1111", "add");
    const res = await post("facebook", body, { "x-hub-signature-256": signWebhook(body, h.meta.appSecret) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    expect(await inboundCount()).toBe(1);
    expect(await inboundJobs()).toBe(1);
    const again = await post("facebook", body, { "x-hub-signature-256": signWebhook(body, h.meta.appSecret) });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await inboundCount()).toBe(1);
    expect(await inboundJobs()).toBe(1);
  });

  it("the worker turns notifications into channel_account.notified events: audit trail, outbox, live subscription", async () => {
    const sub = subscribe(live, LIVE);
    await waitForOperations(port(), 1);
    worker = await startWorker(h.t.env, h.t.db.url, createLogger(process.env.WORKER_LOG ?? "silent"), 2);
    await waitForEvents(sub, 1, 20_000);
    expect(sub.events[0].marketingChanged).toMatchObject({ type: "channel_account.notified", channelAccount: { externalId: "1111", lastNotification: "feed: comment add" }, marketingPost: null });

    const ig = JSON.stringify({ object: "instagram", entry: [{ id: h.meta.igUser.id, time: 1, changes: [{ field: "mentions", value: { media_id: "1", comment_id: "2" } }] }] });
    expect((await post("instagram", ig, { "x-hub-signature-256": signWebhook(ig, h.meta.igAppSecret) })).status).toBe(200);
    const review = Buffer.from(JSON.stringify({ notificationType: "NEW_REVIEW", locationName: "accounts/111/locations/222", reviewName: "accounts/111/locations/222/reviews/r1" })).toString("base64");
    const push = JSON.stringify({ message: { data: review, messageId: "9876543210", publishTime: new Date().toISOString(), attributes: {} }, subscription: "projects/p/subscriptions/gbp" });
    expect((await post("google_business", push, {}, `?token=${PUBSUB}`)).status).toBe(200);
    expect((await (await post("google_business", push, {}, `?token=${PUBSUB}`)).json()).duplicate).toBe(true); // Pub/Sub redelivers: same messageId
    // a notice about an account nobody connected is stored and dropped
    const stranger = pageFeed("9999", "add");
    expect((await post("facebook", stranger, { "x-hub-signature-256": signWebhook(stranger, h.meta.appSecret) })).status).toBe(200);

    await waitForEvents(sub, 3, 20_000);
    const got = sub.events.map((e) => e.marketingChanged.channelAccount).sort((a, b) => a.externalId.localeCompare(b.externalId));
    expect(got.map((a) => [a.externalId, a.lastNotification])).toEqual([
      ["1111", "feed: comment add"],
      [h.meta.igUser.id, "mentions"],
      ["accounts/111/locations/222", "NEW_REVIEW: accounts/111/locations/222/reviews/r1"],
    ].sort((a, b) => a[0]!.localeCompare(b[0]!)));
    await expect.poll(() => h.prisma.marketingInboundEvent.count({ where: { processedAt: null } }), { timeout: 10_000 }).toBe(0);
    const audit = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "eventType" = 'channel_account.notified'`;
    expect(audit[0]!.n).toBe(3);
    const outbox = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "WebhookMessage" WHERE "eventType" = 'channel_account.notified'`;
    expect(outbox[0]!.n).toBe(3);
    // the other tenant saw nothing
    const other = await h.t.gql<any>(`{ channelAccounts { totalCount } }`, {}, as("h2o", "marketer"));
    expect(other.data.channelAccounts.totalCount).toBe(0);
    sub.stop();
  });

  it("marketingChanged filters by post and by channel account", async () => {
    const CREATE = `mutation($input: CreateMarketingPostInput!) { createMarketingPost(input: $input) { marketingPost { id version } } }`;
    const UPDATE = `mutation($input: UpdateMarketingPostInput!) { updateMarketingPost(input: $input) { marketingPost { id } } }`;
    const accounts = await h.t.gql<any>(`{ channelAccounts { edges { node { id externalId } } } }`, {}, as("all_county", "marketer"));
    const page = accounts.data.channelAccounts.edges.map((e: any) => e.node).find((n: any) => n.externalId === "1111");
    const draft = async (text: string) => (await h.t.gql<any>(CREATE, { input: { text, channelAccountIds: [page.id] } }, as("all_county", "marketer"))).data.createMarketingPost.marketingPost;
    const a = await draft("draft A");
    const b = await draft("draft B");
    const byPost = subscribe(live, `subscription($id: ID!) { marketingChanged(postId: $id) { type marketingPost { id text } } }`, { id: a.id });
    const byAccount = subscribe(live, `subscription($id: ID!) { marketingChanged(channelAccountId: $id) { type channelAccount { id } } }`, { id: page.id });
    await waitForOperations(port(), 2);
    await h.t.gql(UPDATE, { input: { id: b.id, expectedVersion: b.version, text: "draft B, edited" } }, as("all_county", "marketer"));
    await h.t.gql(UPDATE, { input: { id: a.id, expectedVersion: a.version, text: "draft A, edited" } }, as("all_county", "marketer"));
    const body = pageFeed("1111", "edited");
    expect((await post("facebook", body, { "x-hub-signature-256": signWebhook(body, h.meta.appSecret) })).status).toBe(200);
    await waitForEvents(byPost, 1);
    await waitForEvents(byAccount, 1, 20_000);
    expect(byPost.events.map((e) => e.marketingChanged)).toEqual([{ type: "marketing_post.updated", marketingPost: { id: a.id, text: "draft A, edited" } }]);
    expect(byAccount.events.map((e) => e.marketingChanged)).toEqual([{ type: "channel_account.notified", channelAccount: { id: page.id } }]);
    byPost.stop();
    byAccount.stop();
  });

  it("Meta's deauthorize callback: a bad signed_request is refused and changes nothing; the stand-in's turns that user's accounts NEEDS_RECONNECT, tokens erased, with the event", async () => {
    const deauthorize = (platform: string) => `${h.api}/integrations/${platform}/deauthorize`;
    const accounts = () => h.prisma.channelAccount.findMany({ where: { platform: { in: ["facebook", "instagram"] } }, orderBy: { platform: "asc" } });
    await expect.poll(inboundJobs, { timeout: 10_000 }).toBe(0); // the notifications above are done with
    const before = { rows: await inboundCount(), jobs: await inboundJobs(), accounts: await accounts() };
    expect(before.accounts.map((a) => [a.platform, a.status, a.grantUserId])).toEqual([["facebook", "connected", h.meta.fbUser.id], ["instagram", "connected", h.meta.igUser.id]]);
    const refusals = [
      await h.meta.deauthorize(deauthorize("facebook"), h.meta.fbUser.id, "facebook", "not-the-app-secret"),
      await h.meta.deauthorize(deauthorize("facebook"), h.meta.fbUser.id, "instagram"), // the Instagram app's secret
      await fetch(deauthorize("facebook"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "signed_request=abc.def" }),
      await fetch(deauthorize("facebook"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(await refusals[0]!.json()).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    expect({ rows: await inboundCount(), jobs: await inboundJobs(), accounts: await accounts() }).toEqual(before);

    const sub = subscribe(live, `subscription { marketingChanged(types: ["channel_account.needs_reconnect"]) { type channelAccount { externalId status lastError } } }`);
    await waitForOperations(port(), 1);
    const res = await h.meta.deauthorize(deauthorize("facebook"), h.meta.fbUser.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    await waitForEvents(sub, 1, 20_000);
    expect(sub.events[0].marketingChanged).toMatchObject({ type: "channel_account.needs_reconnect", channelAccount: { externalId: "1111", status: "NEEDS_RECONNECT", lastError: expect.stringMatching(/deauthorized/) } });
    const [facebook, instagram] = await accounts();
    expect(facebook).toMatchObject({ status: "needs_reconnect", accessTokenSealed: null, refreshTokenSealed: null });
    expect(instagram).toEqual(before.accounts[1]); // another app's consent: untouched
    const audit = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "eventType" = 'channel_account.needs_reconnect' AND "entityId" = ${facebook!.id}`;
    expect(audit[0]!.n).toBe(1);
    const outbox = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "WebhookMessage" WHERE "eventType" = 'channel_account.needs_reconnect'`;
    expect(outbox[0]!.n).toBe(1);

    // Instagram's, signed with the Instagram app's secret, for its own user; and an unknown user changes nothing
    expect((await h.meta.deauthorize(deauthorize("instagram"), h.meta.igUser.id, "instagram")).status).toBe(200);
    expect((await h.meta.deauthorize(deauthorize("facebook"), "999")).status).toBe(200);
    await waitForEvents(sub, 2, 20_000);
    expect(sub.events[1].marketingChanged.channelAccount).toMatchObject({ externalId: h.meta.igUser.id, status: "NEEDS_RECONNECT" });
    await expect.poll(() => h.prisma.marketingInboundEvent.count({ where: { processedAt: null } }), { timeout: 10_000 }).toBe(0);
    expect(sub.events).toHaveLength(2);
    sub.stop();
  });
  it("Meta's data deletion request callback: a bad signed_request is refused and changes nothing; a genuine one answers { url, confirmation_code }, the worker erases that user's tokens and id in every tenant, audited, with the event; the status page follows it", async () => {
    const endpoint = (platform: string) => `${h.api}/integrations/${platform}/data-deletion`;
    const form = (body: string) => fetch(endpoint("facebook"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    // the same person's consent connects a Page in the other tenant too
    await connectFacebook(h, "2222", "h2o");
    const accounts = () => h.prisma.channelAccount.findMany({ where: { platform: { in: ["facebook", "instagram"] } }, orderBy: [{ platform: "asc" }, { externalId: "asc" }] });
    await expect.poll(inboundJobs, { timeout: 10_000 }).toBe(0);
    const before = { rows: await inboundCount(), jobs: await inboundJobs(), accounts: await accounts() };
    expect(before.accounts.map((a) => [a.platform, a.externalId, a.status, a.grantUserId])).toEqual([
      ["facebook", "1111", "needs_reconnect", h.meta.fbUser.id],
      ["facebook", "2222", "connected", h.meta.fbUser.id],
      ["instagram", h.meta.igUser.id, "needs_reconnect", h.meta.igUser.id],
    ]);
    expect(await h.prisma.marketingInboundEvent.count({ where: { dedupKey: { startsWith: `deauthorize:${h.meta.fbUser.id}:` } } })).toBe(1); // the deauthorization above names the user

    const refusals = [
      await h.meta.requestDataDeletion(endpoint("facebook"), h.meta.fbUser.id, "facebook", "not-the-app-secret"),
      await h.meta.requestDataDeletion(endpoint("facebook"), h.meta.fbUser.id, "instagram"), // the Instagram app's secret
      await form(new URLSearchParams({ signed_request: signedRequest({ user_id: h.meta.fbUser.id, algorithm: "HMAC-SHA1" }, h.meta.appSecret) }).toString()),
      await form("signed_request=abc.def"),
      await form(""),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(await refusals[0]!.json()).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    expect({ rows: await inboundCount(), jobs: await inboundJobs(), accounts: await accounts() }).toEqual(before);

    const sub = subscribe(live, `subscription { marketingChanged(types: ["channel_account.data_deleted"]) { type channelAccount { externalId status lastError tokenExpiresAt } } }`);
    await waitForOperations(port(), 1);
    const signed = new URLSearchParams({ signed_request: signedRequest({ user_id: h.meta.fbUser.id, expires: Math.floor(Date.now() / 1000) + 3600 }, h.meta.appSecret) }).toString();
    const res = await form(signed);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const answer = await res.json();
    expect(Object.keys(answer).sort()).toEqual(["confirmation_code", "url"]);
    expect(answer.confirmation_code).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.url).toBe(`${h.api}/integrations/facebook/data-deletion/${answer.confirmation_code}`);
    // Meta redelivers the same signed_request: the same code, nothing more stored
    expect(await (await form(signed)).json()).toEqual(answer);
    expect(await inboundCount()).toBe(before.rows + 1);

    await waitForEvents(sub, 1, 20_000);
    const status = async () => (await fetch(answer.url, { headers: { accept: "application/json" } })).json();
    await expect.poll(async () => (await status()).status, { timeout: 10_000 }).toBe("completed");
    expect(await status()).toMatchObject({ confirmationCode: answer.confirmation_code, platform: "facebook", status: "completed", accountsErased: 2, completedAt: expect.any(String) });
    const page = await fetch(answer.url);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(new RegExp(`${answer.confirmation_code}.*was completed.*erased from 2 connected accounts`));

    const after = await accounts();
    for (const a of after.filter((x) => x.platform === "facebook")) {
      expect(a).toMatchObject({ status: "disconnected", accessTokenSealed: null, refreshTokenSealed: null, tokenExpiresAt: null, grantUserId: null });
      expect(a.lastError).toContain(answer.confirmation_code);
    }
    expect(after.find((x) => x.platform === "instagram")).toEqual(before.accounts[2]); // another user, another app: untouched
    expect(sub.events).toHaveLength(1); // all_county's live stream: its own account only
    expect(sub.events[0].marketingChanged).toMatchObject({ type: "channel_account.data_deleted", channelAccount: { externalId: "1111", status: "DISCONNECTED", tokenExpiresAt: null } });
    const audit = await h.prisma.$queryRaw<Array<{ tenantId: string }>>`SELECT "tenantId"::text FROM "AuditEvent" WHERE "eventType" = 'channel_account.data_deleted' ORDER BY "tenantId"`;
    expect(audit.map((a) => a.tenantId).sort()).toEqual([...new Set(after.filter((x) => x.platform === "facebook").map((x) => x.tenantId))].sort());
    expect(audit).toHaveLength(2);
    const outbox = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "WebhookMessage" WHERE "eventType" = 'channel_account.data_deleted'`;
    expect(outbox[0]!.n).toBe(2);
    // the user's id is nowhere any more: not in the accounts, the stored deauthorizations, the request's own row, the audit trail, the outbox
    expect(await h.prisma.marketingInboundEvent.count({ where: { dedupKey: { startsWith: `deauthorize:${h.meta.fbUser.id}:` } } })).toBe(0);
    const like = `%${h.meta.fbUser.id}%`;
    const traces = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT
      (SELECT count(*) FROM "ChannelAccount" WHERE "grantUserId" = ${h.meta.fbUser.id})
      + (SELECT count(*) FROM "MarketingInboundEvent" WHERE payload::text LIKE ${like} OR "dedupKey" LIKE ${like})
      + (SELECT count(*) FROM "AuditEvent" WHERE "before"::text LIKE ${like} OR "after"::text LIKE ${like})
      + (SELECT count(*) FROM "WebhookMessage" WHERE payload LIKE ${like}) AS n`;
    expect(Number(traces[0]!.n)).toBe(0);

    // unknown codes, another platform's path and malformed codes have no status
    expect((await fetch(`${h.api}/integrations/facebook/data-deletion/${"0".repeat(32)}`, { headers: { accept: "application/json" } })).status).toBe(404);
    expect((await fetch(`${h.api}/integrations/instagram/data-deletion/${answer.confirmation_code}`)).status).toBe(404);
    expect((await fetch(`${h.api}/integrations/facebook/data-deletion/not-a-code`)).status).toBe(404);

    // Instagram's, signed with the Instagram app's secret, erases the Instagram account of its own user
    const ig = await h.meta.requestDataDeletion(endpoint("instagram"), h.meta.igUser.id, "instagram");
    expect(ig.status).toBe(200);
    const igAnswer = await ig.json();
    expect(igAnswer.url).toBe(`${h.api}/integrations/instagram/data-deletion/${igAnswer.confirmation_code}`);
    await expect.poll(async () => (await (await fetch(igAnswer.url, { headers: { accept: "application/json" } })).json()).accountsErased, { timeout: 20_000 }).toBe(1);
    expect(await h.prisma.channelAccount.findFirstOrThrow({ where: { platform: "instagram" } })).toMatchObject({ status: "disconnected", grantUserId: null, accessTokenSealed: null });
    sub.stop();
  });
});
