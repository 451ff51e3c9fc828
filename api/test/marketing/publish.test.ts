import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { finishTarget } from "../../src/marketing/outcomes.ts";
import { as } from "../support/domain.ts";
import { connectFacebook, CREATE_POST, postState, schedulePost, startMarketing, type MarketingHarness } from "./helpers.ts";

const meta429 = { status: 429, body: { error: { message: "(#4) Application request limit reached", type: "OAuthException", code: 4, fbtrace_id: "x" } } };
const meta503 = { status: 503, body: { error: { message: "(#2) Service temporarily unavailable", type: "OAuthException", code: 2, fbtrace_id: "y" } } };

describe("publishing posts to a Facebook Page through the worker", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let account: { id: string };

  beforeAll(async () => {
    h = await startMarketing({ MARKETING_BREAKER_THRESHOLD: "3", MARKETING_BREAKER_HALF_OPEN_MS: "2000", MARKETING_MAX_INLINE_WAIT_MS: "3000", MARKETING_HTTP_ATTEMPTS: "3" });
    account = await connectFacebook(h, "1111");
    worker = await startWorker(h.t.env, h.t.db.url, createLogger(process.env.WORKER_LOG ?? "silent"), 2);
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  const published = (id: string) => expect.poll(async () => (await postState(h, id)).status, { timeout: 15_000, interval: 100 });

  it("publishes at the scheduled time and stores the platform's post id and link; the event reaches the audit trail and the outbox", async () => {
    const post = await schedulePost(h, "Spring special: water heater flush $99", [account.id], 300);
    expect(post.status).toBe("SCHEDULED");
    await published(post.id).toBe("PUBLISHED");
    const state = await postState(h, post.id);
    const made = h.meta.posts.filter((p) => p.message === "Spring special: water heater flush $99");
    expect(made).toHaveLength(1);
    expect(state.targets[0]).toMatchObject({ status: "PUBLISHED", externalPostId: made[0]!.id, externalUrl: `https://www.facebook.com/${made[0]!.id}`, attemptCount: 1 });
    expect(made[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(Date.now() - 15_000);
    const audit = await h.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "eventType" = 'marketing_post.published'`;
    expect(audit[0]!.n).toBe(1);
  });

  it("waits out a 429 with Retry-After, then publishes once", async () => {
    h.meta.faults.push({ match: /^POST \/1111\/feed$/, ...meta429, headers: { "retry-after": "1" }, times: 1 });
    const started = Date.now();
    const post = await schedulePost(h, "Retry-After test", [account.id]);
    await published(post.id).toBe("PUBLISHED");
    const calls = h.meta.log.filter((l) => l.method === "POST" && l.path === "/v25.0/1111/feed" && h.meta.log.indexOf(l) >= 0).slice(-2);
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(h.meta.posts.filter((p) => p.message === "Retry-After test")).toHaveLength(1);
  });

  it("Meta's own throttling (HTTP 400, code 32, no Retry-After but X-Business-Use-Case-Usage): the job waits the estimated time to regain access, calling nothing meanwhile, then publishes once", async () => {
    const usage = { "1111": [{ type: "pages", call_count: 100, total_cputime: 12, total_time: 20, estimated_time_to_regain_access: 1 }] };
    const throttled = { status: 400, body: { error: { message: "(#32) Page request limit reached", type: "OAuthException", code: 32, fbtrace_id: "z" } }, headers: { "x-business-use-case-usage": JSON.stringify(usage) } };
    h.meta.faults.push({ match: /^POST \/1111\/feed$/, ...throttled, times: 1 });
    const before = h.meta.log.length;
    const feedCalls = () => h.meta.log.slice(before).filter((l) => l.method === "POST" && l.path === "/v25.0/1111/feed").map((l) => l.status);
    const post = await schedulePost(h, "Page limit test", [account.id]);
    await expect.poll(async () => (await postState(h, post.id)).targets[0].attempts.map((a: any) => a.outcome), { timeout: 15_000, interval: 100 }).toContain("retrying");
    const waiting = () => h.prisma.$queryRaw<Array<{ id: string; inMs: number }>>`
      SELECT id::text, (extract(epoch FROM run_at - now()) * 1000)::int AS "inMs" FROM graphile_worker.jobs WHERE task_identifier = 'marketing.publish' AND run_at > now() + interval '10 seconds'`;
    await expect.poll(async () => (await waiting()).length, { timeout: 5_000, interval: 50 }).toBe(1);
    const [job] = await waiting();
    expect(job!.inMs).toBeGreaterThan(55_000); // a minute, the estimated time to regain access (less the moments since)
    await new Promise((r) => setTimeout(r, 1_000));
    expect(feedCalls()).toEqual([400]); // nothing more was sent meanwhile
    expect((await postState(h, post.id)).status).not.toBe("PUBLISHED");
    // the minute passes
    await h.prisma.$executeRaw`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE id = ${BigInt(job!.id)}`;
    await published(post.id).toBe("PUBLISHED");
    expect(feedCalls()).toEqual([400, 200]);
    expect(h.meta.posts.filter((p) => p.message === "Page limit test")).toHaveLength(1);
  });

  it("opens the account's breaker on a run of 5xx (publishing waits, no calls pile up), then recovers and publishes once", async () => {
    h.meta.faults.push({ match: /^POST \/1111\/feed$/, ...meta503, times: 1_000 });
    const before = h.meta.log.length;
    const post = await schedulePost(h, "Breaker test", [account.id]);
    await expect.poll(async () => (await postState(h, post.id)).targets[0].channelAccount.breakerState, { timeout: 15_000, interval: 100 }).toBe("OPEN");
    const failedCalls = () => h.meta.log.slice(before).filter((l) => l.status === 503).length;
    const whenOpened = failedCalls();
    expect(whenOpened).toBe(3); // the threshold: the calls stop there
    await new Promise((r) => setTimeout(r, 1_000)); // still open: nothing more reaches the platform
    expect(failedCalls()).toBe(whenOpened);
    h.meta.faults.length = 0; // the platform recovers
    await published(post.id).toBe("PUBLISHED");
    // the breaker's transitions are recorded on the account as they happen, just after the call that caused them
    await expect.poll(async () => (await postState(h, post.id)).targets[0].channelAccount.breakerState, { timeout: 5_000, interval: 50 }).toBe("CLOSED");
    const state = await postState(h, post.id);
    expect(failedCalls()).toBeLessThanOrEqual(whenOpened + 1); // at most one half-open trial failed before recovery
    expect(h.meta.posts.filter((p) => p.message === "Breaker test")).toHaveLength(1);
    expect(state.targets[0].attempts.map((a: any) => a.outcome)).toContain("retrying");
  });

  it("refuses bad posts with BAD_USER_INPUT and creates nothing", async () => {
    const count = await h.prisma.marketingPost.count();
    const bad = [
      { text: "   ", channelAccountIds: [account.id] },
      { text: "x".repeat(63_207), channelAccountIds: [account.id] },
      { text: "ok", channelAccountIds: [] },
      { text: "ok", channelAccountIds: [account.id], timeZone: "Mars/Olympus" },
      { text: "ok", channelAccountIds: [account.id], scheduledAt: new Date(Date.now() - 3_600_000).toISOString() },
      { text: "ok", channelAccountIds: [account.id], mediaUrls: ["javascript:alert(1)"] },
    ];
    for (const input of bad) {
      const res = await h.t.gql<any>(CREATE_POST, { input }, as("all_county", "marketer"));
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input).slice(0, 80)).toBe("BAD_USER_INPUT");
    }
    const foreign = await h.t.gql<any>(CREATE_POST, { input: { text: "ok", channelAccountIds: [account.id] } }, as("h2o", "marketer"));
    expect(foreign.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await h.prisma.marketingPost.count()).toBe(count);
  });

  it("edits and cancels a scheduled post: nothing is published", async () => {
    const post = await schedulePost(h, "To be cancelled", [account.id], 1_500);
    const edit = await h.t.gql<any>(`mutation($input: UpdateMarketingPostInput!) { updateMarketingPost(input: $input) { marketingPost { text version status } } }`,
      { input: { id: post.id, expectedVersion: post.version, text: "Edited, then cancelled" } }, as("all_county", "marketer"));
    expect(edit.data.updateMarketingPost.marketingPost).toMatchObject({ text: "Edited, then cancelled", status: "SCHEDULED" });
    const cancel = await h.t.gql<any>(`mutation($input: CancelMarketingPostInput!) { cancelMarketingPost(input: $input) { marketingPost { status } } }`,
      { input: { id: post.id, expectedVersion: edit.data.updateMarketingPost.marketingPost.version } }, as("all_county", "marketer"));
    expect(cancel.data.cancelMarketingPost.marketingPost.status).toBe("CANCELLED");
    await new Promise((r) => setTimeout(r, 2_000));
    expect(h.meta.posts.filter((p) => p.message.includes("cancelled"))).toHaveLength(0);
    expect((await postState(h, post.id)).targets[0].status).toBe("CANCELLED");
  });

  it("a refused token fails the channel and marks the account NEEDS_RECONNECT; a failed channel can be retried after reconnecting", async () => {
    const second = await connectFacebook(h, "2222");
    h.meta.faults.push({ match: /^POST \/2222\/feed$/, status: 400, body: { error: { message: "Error validating access token: The session has been invalidated", type: "OAuthException", code: 190, error_subcode: 460 } }, times: 1 });
    const post = await schedulePost(h, "Token test", [second.id]);
    await published(post.id).toBe("FAILED");
    const state = await postState(h, post.id);
    expect(state.targets[0]).toMatchObject({ status: "FAILED", channelAccount: { status: "NEEDS_RECONNECT" } });
    expect(state.targets[0].lastError).toMatch(/190|session/i);
    const raw = (gid: string) => Buffer.from(gid, "base64").toString().split(":")[1]!;
    const events = await h.prisma.$queryRaw<Array<{ eventType: string }>>`SELECT "eventType" FROM "AuditEvent" WHERE "entityId" IN (${raw(second.id)}, ${raw(post.id)}) AND "eventType" IN ('channel_account.needs_reconnect', 'marketing_post.failed') ORDER BY "changedAt"`;
    expect(events.map((e) => e.eventType)).toEqual(["channel_account.needs_reconnect", "marketing_post.failed"]);
    await connectFacebook(h, "2222"); // reconnect: same account, CONNECTED again
    const retry = await h.t.gql<any>(`mutation($input: RetryMarketingPostChannelInput!) { retryMarketingPostChannel(input: $input) { marketingPost { status } } }`,
      { input: { targetId: state.targets[0].id } }, as("all_county", "marketer"));
    expect(retry.errors).toBeUndefined();
    await published(post.id).toBe("PUBLISHED");
    expect(h.meta.posts.filter((p) => p.message === "Token test")).toHaveLength(1);
  });

  it("channels of one post finishing at the same moment: the post reaches its final status every time", async () => {
    const tenant = await h.prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    const scope = { prisma: h.prisma, services: { env: h.t.env, loginLimiter: undefined as never }, log: createLogger("silent") };
    const accounts = await Promise.all([1, 2, 3].map((n) =>
      h.prisma.channelAccount.create({ data: { tenantId: tenant.id, platform: "facebook", externalId: `together-${n}`, name: `Page ${n}`, tokenKeyId: "none" } })));
    for (let round = 0; round < 8; round++) {
      const post = await h.prisma.marketingPost.create({ data: { tenantId: tenant.id, text: `Together ${round}`, status: "publishing" } });
      const targets = await Promise.all(
        accounts.map((a) => h.prisma.marketingPostTarget.create({ data: { tenantId: tenant.id, postId: post.id, channelAccountId: a.id, status: "publishing", idempotencyKey: crypto.randomUUID() } })),
      );
      // the last two finish together: without the post's lock each reads the other as still publishing
      await finishTarget(scope, tenant.id, targets[0]!.id, { status: "published", externalPostId: `x${round}` });
      await Promise.all(targets.slice(1).map((t, i) => finishTarget(scope, tenant.id, t.id, i ? { status: "failed", lastError: "refused" } : { status: "published", externalPostId: `y${round}` })));
      const after = await h.prisma.marketingPost.findUniqueOrThrow({ where: { id: post.id } });
      expect(after.status, `round ${round}`).toBe("partially_published");
    }
  });
});
