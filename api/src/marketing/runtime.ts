import type { Env } from "../env.ts";
import type { ChannelPlatform } from "../generated/prisma/enums.ts";
import { facebookProvider } from "../integrations/facebook.ts";
import { googleBusinessProvider } from "../integrations/google-business.ts";
import { instagramProvider } from "../integrations/instagram.ts";
import type { ChannelAccount } from "../generated/prisma/client.ts";
import type { AccountCredentials, SocialProvider } from "../integrations/provider.ts";
import { Resilience, type BreakerStateName } from "../integrations/resilience.ts";
import { TokenBox, tokenContext } from "../integrations/token-box.ts";

export const platforms = ["facebook", "instagram", "google_business"] as const satisfies readonly ChannelPlatform[];

/** What the marketing module of one process shares: the token box, the call policies, the configured providers. */
export interface MarketingRuntime {
  env: Env;
  box: TokenBox;
  resilience: Resilience;
  /** The provider of a platform, or why it is unavailable (its client credentials are not configured). */
  provider(platform: ChannelPlatform): SocialProvider | { unavailable: string };
}

/** The key of an account's breaker: per provider and account (the tenant rides along for the system's writes). */
export const breakerKey = (platform: ChannelPlatform, tenantId: string, accountId: string) => `${platform}:${tenantId}:${accountId}`;

/** `<API origin>/integrations/<platform>/callback` (PUBLIC_API_URL may name the GraphQL endpoint: its origin counts). */
/** An account's tokens opened for a provider call (plaintext in memory only), with its breaker key. */
export function credentialsOf(runtime: MarketingRuntime, account: ChannelAccount & { accessTokenSealed: string }): AccountCredentials {
  return {
    breakerKey: breakerKey(account.platform, account.tenantId, account.id),
    accountId: account.id,
    externalId: account.externalId,
    accessToken: runtime.box.open(account.accessTokenSealed, account.tokenKeyId, tokenContext.access(account.id)),
    refreshToken: account.refreshTokenSealed ? runtime.box.open(account.refreshTokenSealed, account.tokenKeyId, tokenContext.refresh(account.id)) : null,
  };
}

export const redirectUri = (env: Env, platform: ChannelPlatform) => `${new URL(env.PUBLIC_API_URL ?? `http://127.0.0.1:${env.API_PORT}`).origin}/integrations/${platform}/callback`;

export function createMarketingRuntime(env: Env, onBreaker?: (key: string, state: BreakerStateName) => void): MarketingRuntime {
  const box = new TokenBox(env.ENCRYPTION_KEY, env.ENCRYPTION_KEY_PREVIOUS);
  const resilience = new Resilience(
    {
      timeoutMs: env.MARKETING_HTTP_TIMEOUT_MS,
      attempts: env.MARKETING_HTTP_ATTEMPTS,
      backoffMs: env.MARKETING_HTTP_BACKOFF_MS,
      maxInlineWaitMs: env.MARKETING_MAX_INLINE_WAIT_MS,
      breakerThreshold: env.MARKETING_BREAKER_THRESHOLD,
      halfOpenAfterMs: env.MARKETING_BREAKER_HALF_OPEN_MS,
    },
    onBreaker,
  );
  const providers: Partial<Record<ChannelPlatform, SocialProvider>> = {};
  if (env.META_APP_ID && env.META_APP_SECRET)
    providers.facebook = facebookProvider(
      {
        appId: env.META_APP_ID, appSecret: env.META_APP_SECRET, oauthUrl: env.META_OAUTH_URL, graphUrl: env.META_GRAPH_URL,
        redirectUri: redirectUri(env, "facebook"), webhookVerifyToken: env.META_WEBHOOK_VERIFY_TOKEN,
      },
      resilience,
    );
  if (env.INSTAGRAM_APP_ID && env.INSTAGRAM_APP_SECRET)
    providers.instagram = instagramProvider(
      {
        appId: env.INSTAGRAM_APP_ID, appSecret: env.INSTAGRAM_APP_SECRET, oauthUrl: env.INSTAGRAM_OAUTH_URL, tokenUrl: env.INSTAGRAM_TOKEN_URL,
        graphUrl: env.INSTAGRAM_GRAPH_URL, redirectUri: redirectUri(env, "instagram"), webhookVerifyToken: env.META_WEBHOOK_VERIFY_TOKEN,
        containerPollMs: env.INSTAGRAM_CONTAINER_POLL_MS,
      },
      resilience,
    );
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET)
    providers.google_business = googleBusinessProvider(
      {
        clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET, oauthUrl: env.GOOGLE_OAUTH_URL, tokenUrl: env.GOOGLE_TOKEN_URL,
        revokeUrl: env.GOOGLE_REVOKE_URL, businessUrl: env.GOOGLE_BUSINESS_URL, accountUrl: env.GOOGLE_ACCOUNT_URL, infoUrl: env.GOOGLE_BUSINESS_INFO_URL,
        redirectUri: redirectUri(env, "google_business"), pubsubToken: env.GOOGLE_PUBSUB_VERIFICATION_TOKEN,
      },
      resilience,
    );
  const missing: Record<ChannelPlatform, string> = {
    facebook: "META_APP_ID and META_APP_SECRET are not configured",
    instagram: "INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET are not configured",
    google_business: "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not configured",
  };
  return { env, box, resilience, provider: (platform) => providers[platform] ?? { unavailable: missing[platform] } };
}

const runtimes = new WeakMap<Env, MarketingRuntime>();

/** The API process's runtime for this configuration (created on first use; the worker makes its own). */
export function marketingRuntime(env: Env): MarketingRuntime {
  let runtime = runtimes.get(env);
  if (!runtime) runtimes.set(env, (runtime = createMarketingRuntime(env)));
  return runtime;
}
