import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { expiry, metaDeauthorization, metaGraph, metaWebhooks } from "./meta.ts";
import { ProviderError, type Candidate, type PublishRequest, type Published, type SocialProvider, type TokenSet } from "./provider.ts";
import type { Resilience } from "./resilience.ts";

export interface MetaConfig {
  appId: string;
  appSecret: string;
  oauthUrl: string;
  graphUrl: string;
  redirectUri: string;
  /** The token Meta's webhook subscription handshake must echo; no webhooks without it. */
  webhookVerifyToken?: string;
}

const facebookScopes = ["pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_metadata"];

/**
 * Facebook Pages (PROVIDERS.md §1): consent with PKCE through arctic's OAuth2Client (Meta's URLs are
 * configuration), the short-lived user token exchanged for a long-lived one (`fb_exchange_token`), Page tokens from
 * `/me/accounts`, posts to `/{page-id}/feed` (or `/photos` with an image). Meta has no idempotency key: a retry looks
 * in the Page's feed for the same message since the first attempt before posting again.
 */
export function facebookProvider(config: MetaConfig, resilience: Resilience): SocialProvider {
  const oauth = new OAuth2Client(config.appId, config.appSecret, config.redirectUri);
  const call = metaGraph(resilience, config.graphUrl);

  async function longLived(key: string, token: string): Promise<TokenSet> {
    const res = await call<{ access_token: string; expires_in?: number }>(key, "/oauth/access_token", {
      params: { grant_type: "fb_exchange_token", client_id: config.appId, client_secret: config.appSecret, fb_exchange_token: token },
    });
    return { accessToken: res.access_token, refreshToken: res.access_token, expiresAt: expiry(res.expires_in) };
  }

  async function pages(key: string, userToken: string) {
    const res = await call<{ data: Array<{ id: string; name: string; access_token: string; tasks?: string[] }> }>(key, "/me/accounts", {
      token: userToken,
      params: { fields: "id,name,access_token,tasks" },
    });
    return res.data.filter((p) => !p.tasks || p.tasks.includes("CREATE_CONTENT"));
  }

  const postUrl = (id: string) => `https://www.facebook.com/${id}`;

  return {
    platform: "facebook",
    scopes: facebookScopes,
    webhooks: config.webhookVerifyToken ? metaWebhooks(config.appSecret, config.webhookVerifyToken) : null,
    deauthorization: metaDeauthorization(config.appSecret),
    authorizationUrl: (state, verifier) => oauth.createAuthorizationURLWithPKCE(config.oauthUrl, state, CodeChallengeMethod.S256, verifier, facebookScopes),
    async exchangeCode(code, verifier) {
      const tokens = await oauth.validateAuthorizationCode(`${config.graphUrl.replace(/\/$/, "")}/oauth/access_token`, code, verifier);
      return longLived("facebook:connect", tokens.accessToken());
    },
    async listCandidates(tokens): Promise<Candidate[]> {
      const user = await call<{ id: string }>("facebook:connect", "/me", { token: tokens.accessToken, params: { fields: "id" } });
      return (await pages("facebook:connect", tokens.accessToken)).map((p) => ({ externalId: p.id, name: p.name, grantUserId: user.id }));
    },
    async accountTokens(tokens, externalId) {
      const page = (await pages("facebook:connect", tokens.accessToken)).find((p) => p.id === externalId);
      if (!page) throw new ProviderError("permanent", "this Page is not among the ones the user can post to");
      // a Page token derived from a long-lived user token does not expire; the user token is what gets refreshed
      return { accessToken: page.access_token, refreshToken: tokens.accessToken, expiresAt: tokens.expiresAt };
    },
    async refresh(account) {
      if (!account.refreshToken) throw new ProviderError("auth", "no user token to refresh the Page token from");
      const key = account.breakerKey;
      const user = await longLived(key, account.refreshToken);
      const page = (await pages(key, user.accessToken)).find((p) => p.id === account.externalId);
      if (!page) throw new ProviderError("auth", "the user can no longer post to this Page");
      return { accessToken: page.access_token, refreshToken: user.accessToken, expiresAt: user.expiresAt };
    },
    fetchStatus: async () => "live", // a post Meta accepted is published
    async revoke(account) {
      if (!account.refreshToken) return;
      await call(account.breakerKey, "/me/permissions", { method: "DELETE", token: account.refreshToken });
    },
    async findExisting(account, request: PublishRequest): Promise<Published | null> {
      const res = await call<{ data: Array<{ id: string; message?: string; created_time: string }> }>(account.breakerKey, `/${account.externalId}/feed`, {
        token: account.accessToken,
        params: { fields: "id,message,created_time", since: String(Math.floor(request.since.getTime() / 1000) - 60), limit: "100" },
      });
      const found = res.data.find((p) => p.message === request.text);
      return found ? { externalPostId: found.id, url: postUrl(found.id) } : null;
    },
    async publish(account, request) {
      const key = account.breakerKey;
      const [image] = request.mediaUrls;
      const res = image
        ? await call<{ id: string; post_id?: string }>(key, `/${account.externalId}/photos`, { method: "POST", token: account.accessToken, form: { url: image, caption: request.text, published: "true" } })
        : await call<{ id: string }>(key, `/${account.externalId}/feed`, { method: "POST", token: account.accessToken, form: { message: request.text, published: "true" } });
      const id: string = (res as { post_id?: string }).post_id ?? res.id;
      return { externalPostId: id, url: postUrl(id) };
    },
  };
}
