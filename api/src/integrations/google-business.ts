import { timingSafeEqual } from "node:crypto";
import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { oauthCall, platformApi, type ErrorClassifier } from "./http.ts";
import { ProviderError, type Candidate, type InboundNotice, type Published, type SocialProvider, type TokenSet, type WebhookRequest } from "./provider.ts";
import type { Resilience } from "./resilience.ts";

export interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  /** `https://accounts.google.com/o/oauth2/v2/auth` */
  oauthUrl: string;
  /** `https://oauth2.googleapis.com/token` */
  tokenUrl: string;
  /** `https://oauth2.googleapis.com/revoke` */
  revokeUrl: string;
  /** `https://mybusiness.googleapis.com/v4` (local posts) */
  businessUrl: string;
  /** `https://mybusinessaccountmanagement.googleapis.com/v1` (accounts) */
  accountUrl: string;
  /** `https://mybusinessbusinessinformation.googleapis.com/v1` (locations) */
  infoUrl: string;
  redirectUri: string;
  /** The token the Pub/Sub push subscription's endpoint carries (`?token=`); no notifications without it. */
  pubsubToken?: string;
}

const googleScopes = ["https://www.googleapis.com/auth/business.manage"];

/** Google's error shape (`{error:{code,message,status}}`, AIP-193): the canonical status decides. */
export const googleErrors: ErrorClassifier = (_status, body) => {
  const status = (body as { error?: { status?: string } } | null)?.error?.status;
  if (!status) return null;
  if (status === "UNAUTHENTICATED" || status === "PERMISSION_DENIED") return "auth";
  if (["RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"].includes(status)) return "retryable";
  return "permanent";
};

interface LocalPost {
  name: string;
  summary?: string;
  state?: string;
  searchUrl?: string;
  createTime?: string;
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Google Business Profile Pub/Sub push notifications (PROVIDERS.md §3): the push subscription's endpoint carries
 * a verification token (`?token=`), compared in constant time; the body is `{message:{data,messageId,...},
 * subscription}` with `data` the base64 JSON notification (`notificationType`, `locationName`: field names
 * UNCONF, `type`/`location`/`locationResourceName` taken too); the dedup key is Pub/Sub's `messageId`.
 */
function pubsubWebhooks(token: string) {
  const decode = (body: unknown) => {
    const message = (body as { message?: { data?: unknown; messageId?: unknown } } | null)?.message;
    if (!message || typeof message.messageId !== "string") return null;
    let data: Record<string, unknown> = {};
    try {
      data = typeof message.data === "string" ? JSON.parse(Buffer.from(message.data, "base64").toString("utf8")) : {};
    } catch {
      data = {};
    }
    return { messageId: message.messageId, data };
  };
  return {
    verify(req: WebhookRequest): string | null {
      if (!safeEqual(req.query.get("token") ?? "", token)) return null;
      try {
        return decode(JSON.parse(req.rawBody.toString("utf8")))?.messageId ?? null;
      } catch {
        return null;
      }
    },
    parse(body: unknown): InboundNotice[] {
      const data = decode(body)?.data ?? {};
      const kind = data.notificationType ?? data.type;
      const location = data.locationName ?? data.locationResourceName ?? data.location;
      if (typeof kind !== "string" || typeof location !== "string") return [];
      const detail = [data.reviewName, data.review, data.questionName, data.question, data.mediaItemName].find((x) => typeof x === "string") as string | undefined;
      return [{ externalId: location, kind, detail: detail ?? null }];
    },
  };
}

/**
 * Google Business Profile locations (PROVIDERS.md §3): consent through arctic's OAuth2Client with PKCE S256 (the
 * same calls as arctic's `Google` class, whose endpoints are fixed constants; here they are configuration) and
 * `access_type=offline&prompt=consent` for a refresh token; accounts from the Account Management API, their
 * locations from the Business Information API (externalId `accounts/{a}/locations/{l}`); local posts
 * (`topicType: STANDARD`, photos by `sourceUrl`) to `…/localPosts`; refresh with the refresh token (Google
 * returns none new: the old one is kept), revoke at `/revoke`. No idempotency key: a retry lists the location's
 * local posts for the same summary since the first attempt before posting again.
 */
export function googleBusinessProvider(config: GoogleConfig, resilience: Resilience): SocialProvider {
  const oauth = new OAuth2Client(config.clientId, config.clientSecret, config.redirectUri);
  const business = platformApi(resilience, config.businessUrl, googleErrors);
  const accounts = platformApi(resilience, config.accountUrl, googleErrors);
  const info = platformApi(resilience, config.infoUrl, googleErrors);
  const tokenSet = (t: { accessToken(): string; hasRefreshToken(): boolean; refreshToken(): string; accessTokenExpiresAt(): Date }, fallback: string | null): TokenSet => ({
    accessToken: t.accessToken(),
    refreshToken: t.hasRefreshToken() ? t.refreshToken() : fallback,
    expiresAt: (() => {
      try {
        return t.accessTokenExpiresAt();
      } catch {
        return null;
      }
    })(),
  });

  async function locations(key: string, token: string): Promise<Candidate[]> {
    const list = await accounts<{ accounts?: Array<{ name: string; accountName?: string }> }>(key, "/accounts", { bearer: token });
    const out: Candidate[] = [];
    for (const account of list.accounts ?? []) {
      const res = await info<{ locations?: Array<{ name: string; title?: string }> }>(key, `/${account.name}/locations`, { bearer: token, params: { readMask: "name,title", pageSize: "100" } });
      for (const l of res.locations ?? []) out.push({ externalId: `${account.name}/${l.name}`, name: l.title ?? l.name });
    }
    return out;
  }

  const published = (post: LocalPost): Published => ({ externalPostId: post.name, url: post.searchUrl ?? null, processing: post.state === "PROCESSING" });

  return {
    platform: "google_business",
    scopes: googleScopes,
    webhooks: config.pubsubToken ? pubsubWebhooks(config.pubsubToken) : null,
    deauthorization: null, // Google sends no such call: a revoked grant shows as a refused refresh
    authorizationUrl(state, verifier) {
      const url = oauth.createAuthorizationURLWithPKCE(config.oauthUrl, state, CodeChallengeMethod.S256, verifier, googleScopes);
      url.searchParams.set("access_type", "offline");
      url.searchParams.set("prompt", "consent");
      url.searchParams.set("include_granted_scopes", "true");
      return url;
    },
    async exchangeCode(code, verifier) {
      return tokenSet(await oauthCall(resilience, "google_business:connect", () => oauth.validateAuthorizationCode(config.tokenUrl, code, verifier)), null);
    },
    listCandidates: (tokens) => locations("google_business:connect", tokens.accessToken),
    async accountTokens(tokens, externalId) {
      if (!(await locations("google_business:connect", tokens.accessToken)).some((c) => c.externalId === externalId))
        throw new ProviderError("permanent", "this location is not among the ones the user manages");
      return tokens;
    },
    async refresh(account) {
      if (!account.refreshToken) throw new ProviderError("auth", "no refresh token (consent again)");
      return tokenSet(await oauthCall(resilience, account.breakerKey, () => oauth.refreshAccessToken(config.tokenUrl, account.refreshToken!, [])), account.refreshToken);
    },
    async revoke(account) {
      await oauthCall(resilience, account.breakerKey, () => oauth.revokeToken(config.revokeUrl, account.refreshToken ?? account.accessToken));
    },
    async fetchStatus(account, externalPostId) {
      const post = await business<LocalPost>(account.breakerKey, `/${externalPostId}`, { bearer: account.accessToken });
      return post.state === "REJECTED" ? "rejected" : post.state === "PROCESSING" ? "processing" : "live";
    },
    async findExisting(account, request) {
      const res = await business<{ localPosts?: LocalPost[] }>(account.breakerKey, `/${account.externalId}/localPosts`, { bearer: account.accessToken, params: { pageSize: "100" } });
      const since = request.since.getTime() - 60_000;
      const found = (res.localPosts ?? []).find((p) => p.summary === request.text && Date.parse(p.createTime ?? "") >= since);
      return found ? published(found) : null;
    },
    async publish(account, request) {
      const post = await business<LocalPost>(account.breakerKey, `/${account.externalId}/localPosts`, {
        method: "POST",
        bearer: account.accessToken,
        json: {
          languageCode: "en",
          summary: request.text,
          topicType: "STANDARD",
          ...(request.mediaUrls.length ? { media: request.mediaUrls.map((sourceUrl) => ({ mediaFormat: "PHOTO", sourceUrl })) } : {}),
        },
      });
      if (post.state === "REJECTED") throw new ProviderError("permanent", "Google rejected the post");
      return published(post);
    },
  };
}
