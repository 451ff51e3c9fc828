import { BreakerState, ChannelAccountStatus, ChannelPlatform, MarketingPostStatus, MarketingTargetStatus } from "../../generated/prisma/enums.ts";
import { describedEnum } from "../common.ts";

/** Marketers, admins and owners, in tenants with the marketing capability. */
export const marketingRead = { $all: { capability: "marketing", can: "marketing:read" } } as const;
export const marketingWrite = { $all: { capability: "marketing", can: "marketing:write" } } as const;

export const ChannelPlatformEnum = describedEnum("ChannelPlatform", "A social platform posts are published to.", ChannelPlatform, {
  facebook: "A Facebook Page.",
  instagram: "An Instagram professional account.",
  google_business: "A Google Business Profile location.",
});

export const ChannelAccountStatusEnum = describedEnum("ChannelAccountStatus", "Whether a channel account can publish.", ChannelAccountStatus, {
  connected: "Its tokens work.",
  needs_reconnect: "The platform refused its tokens (expired, revoked, refresh failed): connect it again.",
  disconnected: "Disconnected by a user; its grant was revoked where the platform allows.",
});

export const BreakerStateEnum = describedEnum("BreakerState", "The circuit breaker of an account's platform calls.", BreakerState, {
  closed: "Calls go through.",
  open: "The platform kept failing: calls wait (publishing is rescheduled) until a trial call.",
  half_open: "One trial call is let through; its outcome closes or reopens the breaker.",
});

export const MarketingPostStatusEnum = describedEnum("MarketingPostStatus", "Where a post is in its life.", MarketingPostStatus, {
  draft: "Not scheduled yet.",
  scheduled: "Will be published at scheduledAt; can still be edited or cancelled.",
  publishing: "The worker is publishing it.",
  published: "Published on every channel.",
  partially_published: "Published on some channels, failed on others (retry those).",
  failed: "Failed on every channel.",
  cancelled: "Cancelled before it was published.",
});

export const MarketingTargetStatusEnum = describedEnum("MarketingTargetStatus", "Where one channel of a post is.", MarketingTargetStatus, {
  pending: "Waiting for the post's time.",
  publishing: "Being published (or waiting for a retry).",
  published: "Published: see externalUrl.",
  failed: "Every attempt failed: see lastError; retryMarketingPostChannel tries again.",
  cancelled: "The post was cancelled.",
});
