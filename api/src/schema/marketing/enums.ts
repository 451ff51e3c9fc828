import { BreakerState, ChannelAccountStatus, ChannelPlatform, MarketingPostStatus, MarketingTargetStatus } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";

/** GraphQL values are the database values upper-cased, each described. */
function described<V extends string>(name: string, description: string, values: Record<V, V>, descriptions: Record<V, string>) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries((Object.values(values) as V[]).map((v) => [v.toUpperCase(), { value: v, description: descriptions[v] }])) as Record<Uppercase<V>, { value: V; description: string }>,
  });
}

/** Marketers, admins and owners, in tenants with the marketing capability. */
export const marketingRead = { $all: { capability: "marketing", can: "marketing:read" } } as const;
export const marketingWrite = { $all: { capability: "marketing", can: "marketing:write" } } as const;

export const ChannelPlatformEnum = described("ChannelPlatform", "A social platform posts are published to.", ChannelPlatform, {
  facebook: "A Facebook Page.",
  instagram: "An Instagram professional account.",
  google_business: "A Google Business Profile location.",
});

export const ChannelAccountStatusEnum = described("ChannelAccountStatus", "Whether a channel account can publish.", ChannelAccountStatus, {
  connected: "Its tokens work.",
  needs_reconnect: "The platform refused its tokens (expired, revoked, refresh failed): connect it again.",
  disconnected: "Disconnected by a user; its grant was revoked where the platform allows.",
});

export const BreakerStateEnum = described("BreakerState", "The circuit breaker of an account's platform calls.", BreakerState, {
  closed: "Calls go through.",
  open: "The platform kept failing: calls wait (publishing is rescheduled) until a trial call.",
  half_open: "One trial call is let through; its outcome closes or reopens the breaker.",
});

export const MarketingPostStatusEnum = described("MarketingPostStatus", "Where a post is in its life.", MarketingPostStatus, {
  draft: "Not scheduled yet.",
  scheduled: "Will be published at scheduledAt; can still be edited or cancelled.",
  publishing: "The worker is publishing it.",
  published: "Published on every channel.",
  partially_published: "Published on some channels, failed on others (retry those).",
  failed: "Failed on every channel.",
  cancelled: "Cancelled before it was published.",
});

export const MarketingTargetStatusEnum = described("MarketingTargetStatus", "Where one channel of a post is.", MarketingTargetStatus, {
  pending: "Waiting for the post's time.",
  publishing: "Being published (or waiting for a retry).",
  published: "Published: see externalUrl.",
  failed: "Every attempt failed: see lastError; retryMarketingPostChannel tries again.",
  cancelled: "The post was cancelled.",
});
