import { expect } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, ok, seedDemo } from "../support/domain.ts";
import { googleEnv, startGoogleStandin, type GoogleStandin } from "../support/google-standin.ts";
import { metaEnv, startMetaStandin, type MetaStandin } from "../support/meta-standin.ts";
import { freePort } from "../support/ports.ts";

export interface MarketingHarness {
  t: TestApp;
  prisma: Prisma;
  meta: MetaStandin;
  google: GoogleStandin;
  /** The API's real origin (the OAuth callback is an HTTP route, not GraphQL). */
  api: string;
  close(): Promise<void>;
}

export const WEB = "http://127.0.0.1:39999";

/** A test app listening on a real port, seeded, with the platforms pointed at their stand-ins. */
export async function startMarketing(overrides: Record<string, string> = {}, options: Parameters<typeof startTestApp>[1] = {}): Promise<MarketingHarness> {
  const meta = await startMetaStandin();
  const google = await startGoogleStandin();
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const t = await startTestApp({ ...metaEnv(meta), ...googleEnv(google), API_PORT: String(port), PUBLIC_API_URL: api, PUBLIC_WEB_URL: WEB, MARKETING_HTTP_BACKOFF_MS: "20", ...overrides }, options);
  await t.app.start();
  const prisma = await seedDemo(t);
  return {
    t, prisma, meta, google, api,
    async close() {
      await prisma.$disconnect();
      await t.close();
      await meta.close();
      await google.close();
    },
  };
}

export const START = `mutation($input: StartChannelConnectInput!) { startChannelConnect(input: $input) { attemptId authorizationUrl } }`;
export const COMPLETE = `mutation($input: CompleteChannelConnectInput!) { completeChannelConnect(input: $input) { channelAccount { id platform externalId name status breakerState } } }`;

/** GET without following redirects. */
export const get = (url: string) => fetch(url, { redirect: "manual" });

/** The whole connect flow as a marketer of `tenant`: consent at the stand-in, the callback, the pick. */
export function connectFacebook(h: MarketingHarness, externalId = "1111", tenant = "all_county") {
  return connectAccount(h, "FACEBOOK", externalId, tenant);
}

/** The whole connect flow of any platform (`FACEBOOK`, `INSTAGRAM`, `GOOGLE_BUSINESS`). */
export async function connectAccount(h: MarketingHarness, platform: string, externalId: string, tenant = "all_county") {
  const res = await h.t.gql<any>(START, { input: { platform, returnTo: "/marketing" } }, as(tenant, "marketer"));
  expect(res.errors).toBeUndefined();
  const consent = await get(res.data.startChannelConnect.authorizationUrl);
  expect(consent.status).toBe(302);
  const back = await get(consent.headers.get("location")!);
  expect(back.status).toBe(302);
  const attemptId = new URL(back.headers.get("location")!).searchParams.get("connect");
  expect(attemptId).toBeTruthy();
  const done = await ok(h.t, COMPLETE, { input: { attemptId, externalId } }, tenant);
  return done.completeChannelConnect.channelAccount as { id: string; platform: string; externalId: string; name: string; status: string; breakerState: string };
}

export const CREATE_POST = `mutation($input: CreateMarketingPostInput!) { createMarketingPost(input: $input) { marketingPost { id status version targets { id status } } } }`;

export const POST_STATE = `query($id: ID!) { node(id: $id) { ... on MarketingPost { status publishedAt targets { id status externalPostId externalUrl lastError attemptCount attempts { outcome error } channelAccount { breakerState status } } } } }`;

/** Creates a post on these accounts (global ids) to go out `inMs` from now, as a marketer. */
export async function schedulePost(h: MarketingHarness, text: string, accountIds: string[], inMs = 0, tenant = "all_county", mediaUrls: string[] = []) {
  const res = await h.t.gql<any>(CREATE_POST, { input: { text, mediaUrls, channelAccountIds: accountIds, scheduledAt: new Date(Date.now() + inMs).toISOString() } }, as(tenant, "marketer"));
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.createMarketingPost.marketingPost as { id: string; status: string; version: number; targets: Array<{ id: string }> };
}

export async function postState(h: MarketingHarness, id: string, tenant = "all_county") {
  const res = await h.t.gql<any>(POST_STATE, { id }, as(tenant, "marketer"));
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.node;
}
