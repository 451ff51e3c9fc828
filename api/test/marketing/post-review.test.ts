import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { connectAccount, postState, schedulePost, startMarketing, type MarketingHarness } from "./helpers.ts";

describe("a post the platform still reviews (Google local posts: PROCESSING) is followed until live or rejected", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  let location: { id: string };

  beforeAll(async () => {
    h = await startMarketing({ MARKETING_STATUS_CHECK_MS: "200" });
    location = await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");
    worker = await startWorker(h.t.env, h.t.db.url, createLogger(process.env.WORKER_LOG ?? "silent"), 2);
    h.google.newPostState = "PROCESSING";
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  const gets = (name: string) => h.google.log.filter((l) => l.method === "GET" && l.path === `/v4/${name}`).length;

  it("rejected after review: the channel fails with the reason, the post's event says so", async () => {
    const post = await schedulePost(h, "Review test: rejected", [location.id]);
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 15_000, interval: 100 }).toBe("PUBLISHED");
    const made = h.google.posts.find((p) => p.summary === "Review test: rejected")!;
    await expect.poll(() => gets(made.name), { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1); // looked while in review
    made.state = "REJECTED";
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 15_000, interval: 100 }).toBe("FAILED");
    const state = await postState(h, post.id);
    expect(state.targets[0]).toMatchObject({ status: "FAILED", externalPostId: made.name });
    expect(state.targets[0].lastError).toMatch(/rejected the post after review/);
    const raw = Buffer.from(post.id, "base64").toString().split(":")[1]!;
    const events = await h.prisma.$queryRaw<Array<{ eventType: string }>>`SELECT "eventType" FROM "AuditEvent" WHERE "entityId" = ${raw} AND "eventType" LIKE 'marketing_post.%' ORDER BY "changedAt"`;
    expect(events.map((e) => e.eventType)).toEqual(["marketing_post.created", "marketing_post.published", "marketing_post.failed"]);
  });

  it("live after review: it stays published and the looks stop", async () => {
    const post = await schedulePost(h, "Review test: live", [location.id]);
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 15_000, interval: 100 }).toBe("PUBLISHED");
    const made = h.google.posts.find((p) => p.summary === "Review test: live")!;
    await expect.poll(() => gets(made.name), { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    made.state = "LIVE";
    const looks = gets(made.name);
    await new Promise((r) => setTimeout(r, 3_000)); // the next look (at most 200 ms × 2^n later) finds it live; none after
    const after = gets(made.name);
    expect(after).toBeLessThanOrEqual(looks + 1);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(gets(made.name)).toBe(after);
    expect((await postState(h, post.id)).status).toBe("PUBLISHED");
  });
});
