import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { googleEnv } from "../support/google-standin.ts";
import { metaEnv } from "../support/meta-standin.ts";
import { workerProcesses } from "../support/worker-process.ts";
import { connectAccount, connectFacebook, postState, schedulePost, startMarketing, type MarketingHarness } from "./helpers.ts";

describe("kill -9 of the worker mid-publish", () => {
  let h: MarketingHarness;
  const workers = workerProcesses(() => h.t);
  /** A worker with the platforms at the stand-in. */
  const startWorkerProcess = () => workers.start({ MARKETING_HTTP_TIMEOUT_MS: "20000", ...metaEnv(h.meta), ...googleEnv(h.google) });

  beforeAll(async () => {
    h = await startMarketing();
  });
  afterAll(async () => {
    await workers.killAll();
    await h?.close();
  });

  it("publishes exactly once: the restarted worker finds the post the dead one made and keeps it", async () => {
    const account = await connectFacebook(h, "1111");
    const text = "Crash test: exactly once";
    // the platform makes the post, then answers slowly: the worker dies before it hears back
    h.meta.delays.push({ match: /^POST \/1111\/feed$/, ms: 4_000 });
    const post = await schedulePost(h, text, [account.id]);
    const first = startWorkerProcess();
    await expect.poll(() => h.meta.posts.filter((p) => p.message === text).length, { timeout: 30_000, interval: 50 }).toBe(1);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));

    const mid = await postState(h, post.id);
    expect(mid.targets[0]).toMatchObject({ status: "PUBLISHING", externalPostId: null, attemptCount: 1 }); // it really died mid-call
    expect(mid.targets[0].attempts).toEqual([{ outcome: null, error: null }]);

    h.meta.delays.length = 0;
    startWorkerProcess();
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 40_000, interval: 200 }).toBe("PUBLISHED");
    const made = h.meta.posts.filter((p) => p.message === text);
    expect(made).toHaveLength(1);
    const after = await postState(h, post.id);
    expect(after.targets[0]).toMatchObject({ status: "PUBLISHED", externalPostId: made[0]!.id, attemptCount: 2 });
    expect(after.targets[0].attempts.map((a: any) => a.outcome)).toEqual(["found_existing", null]);
    // the platform was asked before posting again, and not posted to again
    const feedPosts = h.meta.log.filter((l) => l.method === "POST" && l.path === "/v25.0/1111/feed");
    expect(feedPosts).toHaveLength(1);
  }, 90_000);

  it("Instagram: a worker killed after media_publish went through is followed by one that finds the media, not a second one", async () => {
    await workers.killAll(); // the previous test's worker: one worker at a time here
    const account = await connectAccount(h, "INSTAGRAM", h.meta.igUser.id);
    const text = "Crash test: Instagram exactly once";
    h.meta.delays.push({ match: /^POST \/instagram\/\d+\/media_publish$/, ms: 4_000 });
    const post = await schedulePost(h, text, [account.id], 0, "all_county", ["https://cdn.example.com/crash.jpg"]);
    const first = startWorkerProcess();
    await expect.poll(() => h.meta.igMedia.filter((m) => m.caption === text).length, { timeout: 30_000, interval: 50 }).toBe(1);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    const mid = await postState(h, post.id);
    expect(mid.targets[0]).toMatchObject({ status: "PUBLISHING", externalPostId: null, attemptCount: 1 });

    h.meta.delays.length = 0;
    startWorkerProcess();
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 40_000, interval: 200 }).toBe("PUBLISHED");
    const made = h.meta.igMedia.filter((m) => m.caption === text);
    expect(made).toHaveLength(1);
    expect(h.meta.containers.filter((c) => c.caption === text)).toHaveLength(1); // the container recorded before the call is the one published
    const after = await postState(h, post.id);
    expect(after.targets[0]).toMatchObject({ status: "PUBLISHED", externalPostId: made[0]!.id, attemptCount: 2 });
    expect(after.targets[0].attempts.map((a: any) => a.outcome)).toEqual(["found_existing", null]);
    expect(h.meta.log.filter((l) => l.method === "POST" && l.path.endsWith("/media_publish"))).toHaveLength(1);
  }, 90_000);
  it("Google Business Profile (no idempotency keys): a worker killed after the local post was made is followed by one that lists the posts and finds it, not a second one", async () => {
    await workers.killAll();
    const account = await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");
    const text = "Crash test: Google exactly once";
    const create = /^POST \/v4\/accounts\/111\/locations\/222\/localPosts$/;
    h.google.delays.push({ match: create, ms: 4_000 });
    const post = await schedulePost(h, text, [account.id]);
    const first = startWorkerProcess();
    await expect.poll(() => h.google.posts.filter((p) => p.summary === text).length, { timeout: 30_000, interval: 50 }).toBe(1);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    const mid = await postState(h, post.id);
    expect(mid.targets[0]).toMatchObject({ status: "PUBLISHING", externalPostId: null, attemptCount: 1 });

    h.google.delays.length = 0;
    startWorkerProcess();
    await expect.poll(async () => (await postState(h, post.id)).status, { timeout: 40_000, interval: 200 }).toBe("PUBLISHED");
    const made = h.google.posts.filter((p) => p.summary === text);
    expect(made).toHaveLength(1);
    const after = await postState(h, post.id);
    expect(after.targets[0]).toMatchObject({ status: "PUBLISHED", externalPostId: made[0]!.name, attemptCount: 2 });
    expect(after.targets[0].attempts.map((a: any) => a.outcome)).toEqual(["found_existing", null]);
    const calls = h.google.log.filter((l) => l.path === "/v4/accounts/111/locations/222/localPosts");
    expect(calls.filter((l) => l.method === "POST")).toHaveLength(1);
    expect(calls.filter((l) => l.method === "GET").length).toBeGreaterThanOrEqual(1); // it looked before posting again
  }, 90_000);
});
