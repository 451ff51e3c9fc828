import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { oauthCall } from "./http.ts";
import { expiry, metaDeauthorization, metaGraph, metaWebhooks } from "./meta.ts";
import { ProviderError, type AccountCredentials, type PublishRequest, type Published, type SocialProvider, type TokenSet } from "./provider.ts";
import type { Resilience } from "./resilience.ts";

export interface InstagramConfig {
  appId: string;
  appSecret: string;
  /** `https://www.instagram.com/oauth/authorize` */
  oauthUrl: string;
  /** `https://api.instagram.com/oauth/access_token` */
  tokenUrl: string;
  /** `https://graph.instagram.com/v25.0` */
  graphUrl: string;
  redirectUri: string;
  webhookVerifyToken?: string;
  /** Between two looks at a media container's `status_code` while Instagram processes it. */
  containerPollMs?: number;
  /** Looks before giving up on a container for this run (the job retries later with the same container). */
  containerPolls?: number;
}

/** Instagram API with Instagram Login (PROVIDERS.md §2); captions are comma-separated scopes in Meta's samples. */
const instagramScopes = ["instagram_business_basic", "instagram_business_content_publish"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Instagram professional accounts through Instagram Login (PROVIDERS.md §2): consent with `state` and a PKCE S256
 * challenge (Instagram documents no PKCE: the parameters are sent and the stand-in holds the flow to them), the
 * code exchanged at `api.instagram.com` for a 1-hour token, that one for a 60-day token (`ig_exchange_token`),
 * refreshed with `ig_refresh_token` (each refresh a new token; there is no refresh token and no revocation).
 * Publishing is the container flow: `POST /{ig-user-id}/media` (image_url, caption) makes a container, recorded
 * through `onContainer` before anything else so a retry publishes that same container; its `status_code` is
 * polled until FINISHED; `POST /{ig-user-id}/media_publish` (creation_id) publishes it. A retry after a timeout or
 * crash first looks for the caption among the account's media since the first attempt (`findExisting`).
 */
export function instagramProvider(config: InstagramConfig, resilience: Resilience): SocialProvider {
  const oauth = new OAuth2Client(config.appId, config.appSecret, config.redirectUri);
  const call = metaGraph(resilience, config.graphUrl);
  const pollMs = config.containerPollMs ?? 1_000;
  const polls = config.containerPolls ?? 30;

  async function me(key: string, token: string) {
    return call<{ user_id?: string; id: string; username: string }>(key, "/me", { token, params: { fields: "user_id,username" } });
  }

  async function containerStatus(key: string, account: AccountCredentials, containerId: string) {
    const res = await call<{ status_code?: string; status?: string }>(key, `/${containerId}`, { token: account.accessToken, params: { fields: "status_code,status" } });
    return { code: res.status_code ?? "IN_PROGRESS", status: res.status ?? null };
  }

  async function newContainer(account: AccountCredentials, request: PublishRequest, onContainer?: (id: string) => Promise<void>) {
    const [image] = request.mediaUrls;
    if (!image) throw new ProviderError("permanent", "Instagram posts need an image");
    const res = await call<{ id: string }>(account.breakerKey, `/${account.externalId}/media`, {
      method: "POST",
      token: account.accessToken,
      form: { image_url: image, caption: request.text },
    });
    await onContainer?.(res.id);
    return res.id;
  }

  async function permalink(account: AccountCredentials, mediaId: string) {
    const res = await call<{ permalink?: string }>(account.breakerKey, `/${mediaId}`, { token: account.accessToken, params: { fields: "permalink" } });
    return res.permalink ?? null;
  }

  return {
    platform: "instagram",
    scopes: instagramScopes,
    webhooks: config.webhookVerifyToken ? metaWebhooks(config.appSecret, config.webhookVerifyToken) : null,
    deauthorization: metaDeauthorization(config.appSecret),
    authorizationUrl: (state, verifier) => oauth.createAuthorizationURLWithPKCE(config.oauthUrl, state, CodeChallengeMethod.S256, verifier, [instagramScopes.join(",")]),
    async exchangeCode(code, verifier) {
      const short = await oauthCall(resilience, "instagram:connect", () => oauth.validateAuthorizationCode(config.tokenUrl, code, verifier));
      const res = await call<{ access_token: string; expires_in?: number }>("instagram:connect", "/access_token", {
        params: { grant_type: "ig_exchange_token", client_secret: config.appSecret, access_token: short.accessToken() },
      });
      return { accessToken: res.access_token, refreshToken: null, expiresAt: expiry(res.expires_in) };
    },
    async listCandidates(tokens) {
      const user = await me("instagram:connect", tokens.accessToken);
      return [{ externalId: user.user_id ?? user.id, name: user.username, grantUserId: user.user_id ?? user.id }];
    },
    async accountTokens(tokens, externalId) {
      const user = await me("instagram:connect", tokens.accessToken);
      if ((user.user_id ?? user.id) !== externalId) throw new ProviderError("permanent", "this is not the account that consented");
      return tokens;
    },
    async refresh(account): Promise<TokenSet> {
      const res = await call<{ access_token: string; expires_in?: number }>(account.breakerKey, "/refresh_access_token", {
        params: { grant_type: "ig_refresh_token", access_token: account.accessToken },
      });
      return { accessToken: res.access_token, refreshToken: null, expiresAt: expiry(res.expires_in) };
    },
    fetchStatus: async () => "live", // a post Meta accepted is published
    async revoke() {
      // Instagram documents no revocation (PROVIDERS.md §4): disconnecting forgets the token
    },
    async findExisting(account, request): Promise<Published | null> {
      const res = await call<{ data: Array<{ id: string; caption?: string; timestamp: string; permalink?: string }> }>(account.breakerKey, `/${account.externalId}/media`, {
        token: account.accessToken,
        params: { fields: "id,caption,timestamp,permalink", limit: "50" },
      });
      const since = request.since.getTime() - 60_000;
      const found = res.data.find((m) => m.caption === request.text && Date.parse(m.timestamp) >= since);
      return found ? { externalPostId: found.id, url: found.permalink ?? null } : null;
    },
    async publish(account, request, onContainer) {
      const key = account.breakerKey;
      let container = request.containerId ?? (await newContainer(account, request, onContainer));
      for (let look = 0; ; look++) {
        const { code, status } = await containerStatus(key, account, container);
        if (code === "FINISHED") break;
        if (code === "PUBLISHED") throw new ProviderError("retryable", `media container ${container} is already published; looking for its post`);
        if ((code === "EXPIRED" || code === "ERROR") && container === request.containerId) {
          container = await newContainer(account, request, onContainer); // an earlier attempt's container lapsed: make a new one
          continue;
        }
        if (code === "ERROR" || code === "EXPIRED") throw new ProviderError("permanent", `Instagram could not process the media (${status ?? code})`);
        if (look + 1 >= polls) throw new ProviderError("retryable", `media container ${container} still ${code} after ${polls} looks`);
        await sleep(pollMs);
      }
      const res = await call<{ id: string }>(key, `/${account.externalId}/media_publish`, { method: "POST", token: account.accessToken, form: { creation_id: container } });
      return { externalPostId: res.id, url: await permalink(account, res.id).catch(() => null) };
    },
  };
}
