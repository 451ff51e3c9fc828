import pino from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/schema/index.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { refreshExpiringTokens } from "../../src/marketing/refresh.ts";
import { createMarketingRuntime } from "../../src/marketing/runtime.ts";
import { as } from "../support/domain.ts";
import { leafSelection } from "../support/schema-calls.ts";
import { connectAccount, connectFacebook, postState, schedulePost, startMarketing, type MarketingHarness } from "./helpers.ts";

const metaError = (status: number, code: number, message: string) => ({ status, body: { error: { message, type: "OAuthException", code, fbtrace_id: "s" } } });

/**
 * Tokens never leave the API: through a whole life of an account of each platform (connect, publish with retries
 * and a failure, refresh, a refused refresh, disconnect), with the API and the worker logging everything (trace
 * level), no token any stand-in issued appears in a log line or in a GraphQL response (every field of
 * ChannelAccount included).
 */
describe("no token in a log line or an API response", () => {
  let h: MarketingHarness;
  let worker: WorkerHandle;
  const lines: string[] = [];
  const responses: string[] = [];
  const capture = (name: string) =>
    pino({ name, level: "trace" }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));

  beforeAll(async () => {
    h = await startMarketing({ MARKETING_HTTP_ATTEMPTS: "2", MARKETING_MAX_INLINE_WAIT_MS: "1000" }, { log: capture("api") });
    const gql = h.t.gql.bind(h.t);
    h.t.gql = (async (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => {
      const res = await gql(query, variables, headers);
      responses.push(JSON.stringify(res));
      return res;
    }) as typeof h.t.gql;
    worker = await startWorker(h.t.env, h.t.db.url, capture("worker"), 2);
  });
  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  it("through connect, publish (retried, failed), refresh (refused too) and disconnect on each platform", async () => {
    const facebook = await connectFacebook(h, "1111");
    const instagram = await connectAccount(h, "INSTAGRAM", h.meta.igUser.id);
    const google = await connectAccount(h, "GOOGLE_BUSINESS", "accounts/111/locations/222");

    // Facebook: an outage, then the retry looks for the post first (a GET with the token in its query string) and fails too, then it goes out
    h.meta.faults.push({ match: /^POST \/1111\/feed$/, ...metaError(503, 2, "(#2) Service temporarily unavailable"), times: 1 });
    h.meta.faults.push({ match: /^GET \/1111\/feed$/, ...metaError(500, 1, "(#1) An unknown error occurred"), times: 1 });
    const ok = await schedulePost(h, "Secrecy: all three", [facebook.id, instagram.id, google.id], 0, "all_county", ["https://cdn.example.com/secrecy.jpg"]);
    // the worker's retries back off (seconds, growing): under a loaded CI machine 30 s was once not enough
    await expect.poll(async () => (await postState(h, ok.id)).status, { timeout: 75_000, interval: 200 }).toBe("PUBLISHED");
    // Instagram refuses the token: the channel fails, the account needs reconnecting
    h.meta.faults.push({ match: /^POST \/instagram\/\d+\/media$/, ...metaError(400, 190, "Error validating access token: Session has expired"), times: 1 });
    const refused = await schedulePost(h, "Secrecy: refused", [instagram.id], 0, "all_county", ["https://cdn.example.com/secrecy.jpg"]);
    await expect.poll(async () => (await postState(h, refused.id)).status, { timeout: 75_000, interval: 200 }).toBe("FAILED");

    // refresh: Meta's exchange goes through, Google's refresh token is refused
    await h.prisma.channelAccount.updateMany({ data: { tokenExpiresAt: new Date(Date.now() + 60_000) }, where: { platform: { in: ["facebook", "google_business"] } } });
    h.google.refuseRefresh = true;
    const scope = { prisma: h.prisma, services: { env: h.t.env, loginLimiter: undefined as never }, log: capture("worker") };
    expect(await refreshExpiringTokens(scope, createMarketingRuntime(h.t.env))).toMatchObject({ refreshed: 1, needsReconnect: 1 });

    // every field of every account, as a marketer and an owner sees it
    const fields = leafSelection(schema.getType("ChannelAccount") as never);
    for (const role of ["marketer", "owner"] as const) {
      const res = await h.t.gql<any>(`{ channelAccounts(first: 10) { edges { node ${fields} } } }`, {}, as("all_county", role));
      expect(res.errors).toBeUndefined();
      expect(res.data.channelAccounts.edges).toHaveLength(3);
    }
    const DISCONNECT = `mutation($input: DisconnectChannelAccountInput!) { disconnectChannelAccount(input: $input) { channelAccount { id status } } }`;
    for (const a of [facebook, instagram, google]) expect((await h.t.gql<any>(DISCONNECT, { input: { id: a.id } }, as("all_county", "marketer"))).errors).toBeUndefined();

    const issued = [...h.meta.issued, ...h.google.issued];
    expect(h.meta.issued.length).toBeGreaterThan(5);
    expect(h.google.issued.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.some((l) => l.includes('"name":"worker"'))).toBe(true);
    expect(lines.some((l) => l.includes('"name":"api"'))).toBe(true);
    expect(responses.length).toBeGreaterThan(10);
    for (const token of issued) {
      for (const line of lines) expect(line.includes(token), `a log line holds a token: ${line.slice(0, 300)}`).toBe(false);
      for (const res of responses) expect(res.includes(token), `a response holds a token: ${res.slice(0, 300)}`).toBe(false);
    }
  }, 240_000);
});
