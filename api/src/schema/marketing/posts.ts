import type { Prisma } from "../../generated/prisma/client.ts";
import { cancelPost, createPost, platformRules, retryTarget, updatePost, type PlatformRules } from "../../marketing/posts.ts";
import type { ChannelPlatform } from "../../generated/prisma/enums.ts";
import { version } from "../../domain/validation.ts";
import { builder } from "../builder.ts";
import { DateTimeRange, idOf, payloadType, rangeFilter, updatedAfterDescription, whereId } from "../common.ts";
import { ChannelAccountRef } from "./accounts.ts";
import { ChannelPlatformEnum, marketingRead, marketingWrite, MarketingPostStatusEnum, MarketingTargetStatusEnum } from "./enums.ts";

const PublishAttemptRef = builder.prismaObject("MarketingPublishAttempt", {
  description: "One try at publishing a post on one channel.",
  authScopes: marketingRead,
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime", description: "When it started." }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When it ended (null: in flight, or the worker died)." }),
    outcome: t.exposeString("outcome", { nullable: true, description: "published, found_existing (a retry found the post already there), retrying, failed." }),
    error: t.exposeString("error", { nullable: true, description: "The platform's error, when it failed." }),
  }),
});

export const MarketingPostTargetRef = builder.prismaNode("MarketingPostTarget", {
  description: "One channel of a post: its publishing state and the platform's post.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: marketingRead,
  fields: (t) => ({
    channelAccount: t.relation("channelAccount", { description: "Where it is published." }),
    status: t.expose("status", { type: MarketingTargetStatusEnum, description: "Where it stands." }),
    externalPostId: t.exposeString("externalPostId", { nullable: true, description: "The platform's id of the post." }),
    externalUrl: t.exposeString("externalUrl", { nullable: true, description: "A link to the post on the platform." }),
    lastError: t.exposeString("lastError", { nullable: true, description: "The last attempt's error." }),
    attemptCount: t.exposeInt("attemptCount", { description: "Attempts so far." }),
    publishedAt: t.expose("publishedAt", { type: "DateTime", nullable: true, description: "When it went out." }),
    attempts: t.relation("attempts", { description: "Its attempts, newest first.", query: { orderBy: { startedAt: "desc" }, take: 20 } }),
  }),
});

export const MarketingPostRef = builder.prismaNode("MarketingPost", {
  description: "A post published on one or more channel accounts at a scheduled time.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: marketingRead,
  fields: (t) => ({
    text: t.exposeString("text", { description: "The text." }),
    mediaUrls: t.exposeStringList("mediaUrls", { description: "Public URLs of attached images." }),
    status: t.expose("status", { type: MarketingPostStatusEnum, description: "Where it is in its life." }),
    scheduledAt: t.expose("scheduledAt", { type: "DateTime", nullable: true, description: "When it is (or was) to be published." }),
    timeZone: t.exposeString("timeZone", { description: "The IANA time zone the time was picked in." }),
    publishedAt: t.expose("publishedAt", { type: "DateTime", nullable: true, description: "When its last channel went out." }),
    targets: t.relation("targets", { description: "Its channels, each with its own outcome.", query: { orderBy: { createdAt: "asc" } } }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});
void PublishAttemptRef;

const TextLimit = builder.objectRef<PlatformRules & { platform: ChannelPlatform }>("MarketingTextLimit").implement({
  description: "What a platform takes in a post: the composer's preview checks these, and createMarketingPost / updateMarketingPost refuse a post that breaks one (BAD_USER_INPUT at `text` or `mediaUrls`).",
  fields: (t) => ({
    platform: t.field({ type: ChannelPlatformEnum, description: "The platform.", resolve: (l) => l.platform }),
    maxLength: t.exposeInt("maxLength", { description: "Characters." }),
    maxHashtags: t.exposeInt("maxHashtags", { nullable: true, description: "Hashtags (`#word`) a post may carry; null: no limit." }),
    requiresImage: t.exposeBoolean("requiresImage", { description: "Whether a post needs an image (`mediaUrls`)." }),
    maxImages: t.exposeInt("maxImages", { description: "Images a post may carry." }),
  }),
});

builder.queryField("marketingTextLimits", (t) =>
  t.field({
    type: [TextLimit],
    description: "Each platform's limits on a post (text length, hashtags, images), for the composer's preview.",
    authScopes: marketingRead,
    resolve: () => Object.entries(platformRules).map(([platform, rules]) => ({ platform: platform as ChannelPlatform, ...rules })),
  }),
);

const MarketingPostFilter = builder.inputType("MarketingPostFilter", {
  description: "Which posts to list; all conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: [MarketingPostStatusEnum], description: "Only posts in one of these statuses." }),
    scheduled: t.field({ type: DateTimeRange, description: "Only posts scheduled in this range (an agenda or calendar view)." }),
    updatedAfter: t.field({ type: "DateTime", description: updatedAfterDescription }),
  }),
});

const postWhere = (f: typeof MarketingPostFilter.$inferInput | null | undefined): Prisma.MarketingPostWhereInput => ({
  ...(f?.status?.length ? { status: { in: f.status } } : {}),
  ...(rangeFilter(f?.scheduled) ? { scheduledAt: rangeFilter(f?.scheduled) } : {}),
  ...(f?.updatedAfter ? { updatedAt: { gt: f.updatedAfter } } : {}),
});

builder.queryField("marketingPosts", (t) =>
  t.prismaConnection(
    {
      type: "MarketingPost",
      cursor: "id",
      description: "The tenant's posts, by scheduled time (soonest first; drafts last).",
      authScopes: marketingRead,
      args: { filter: t.arg({ type: MarketingPostFilter, description: "Which posts." }) },
      resolve: (query, _root, { filter }, ctx) =>
        ctx.db.marketingPost.findMany({ ...query, where: postWhere(filter), orderBy: [{ scheduledAt: { sort: "asc", nulls: "last" } }, { id: "asc" }] }),
      totalCount: (_c, { filter }, ctx) => ctx.db.marketingPost.count({ where: postWhere(filter) }),
    },
    { name: "MarketingPostConnection", description: "A page of posts." },
    { name: "MarketingPostEdge", description: "A post in a page." },
  ),
);


const CreateMarketingPostInput = builder.inputType("CreateMarketingPostInput", {
  description: "A new post: a draft without scheduledAt, else scheduled.",
  fields: (t) => ({
    text: t.string({ required: true, description: "The text (each channel's platform limit applies)." }),
    mediaUrls: t.stringList({ description: "Public image URLs (Instagram needs one)." }),
    channelAccountIds: t.globalIDList({ required: true, for: ChannelAccountRef, description: "Where to publish." }),
    scheduledAt: t.field({ type: "DateTime", description: "When to publish; omit for a draft." }),
    timeZone: t.string({ description: "The IANA time zone the time was picked in (default: the tenant's)." }),
  }),
});

const UpdateMarketingPostInput = builder.inputType("UpdateMarketingPostInput", {
  description: "Changes to a draft or scheduled post; omitted fields keep their value, a null scheduledAt makes it a draft.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: MarketingPostRef, description: "The post." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
    text: t.string({ description: "The text." }),
    mediaUrls: t.stringList({ description: "Public image URLs." }),
    channelAccountIds: t.globalIDList({ for: ChannelAccountRef, description: "Where to publish." }),
    scheduledAt: t.field({ type: "DateTime", description: "When to publish." }),
    timeZone: t.string({ description: "The IANA time zone." }),
  }),
});

const CancelMarketingPostInput = builder.inputType("CancelMarketingPostInput", {
  description: "The post to cancel.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: MarketingPostRef, description: "The post." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
  }),
});

const RetryMarketingPostChannelInput = builder.inputType("RetryMarketingPostChannelInput", {
  description: "The failed channel of a post to publish again.",
  fields: (t) => ({ targetId: t.globalID({ required: true, for: MarketingPostTargetRef, description: "The post's channel." }) }),
});

const ids = (list: Array<{ id: string }> | null | undefined, field: string) => list?.map((g) => idOf(g, ["input", field]));

builder.mutationField("createMarketingPost", (t) =>
  t.field({
    type: payloadType("CreateMarketingPostPayload", "marketingPost", MarketingPostRef, "post"),
    description: "Creates a post; with scheduledAt, the worker publishes it on each channel then.",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: CreateMarketingPostInput, required: true, description: "The post." }) },
    resolve: (_root, { input }, ctx) => createPost(ctx, { ...input, channelAccountIds: ids(input.channelAccountIds, "channelAccountIds")! }),
  }),
);

builder.mutationField("updateMarketingPost", (t) =>
  t.field({
    type: payloadType("UpdateMarketingPostPayload", "marketingPost", MarketingPostRef, "post"),
    description: "Edits a draft or scheduled post (its publish jobs follow).",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: UpdateMarketingPostInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      updatePost(ctx, idOf(input.id, ["input", "id"]), input.expectedVersion, { ...input, channelAccountIds: ids(input.channelAccountIds, "channelAccountIds") }),
  }),
);

builder.mutationField("cancelMarketingPost", (t) =>
  t.field({
    type: payloadType("CancelMarketingPostPayload", "marketingPost", MarketingPostRef, "post"),
    description: "Cancels a draft or scheduled post.",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: CancelMarketingPostInput, required: true, description: "The post." }) },
    resolve: (_root, { input }, ctx) => cancelPost(ctx, idOf(input.id, ["input", "id"]), input.expectedVersion),
  }),
);

builder.mutationField("retryMarketingPostChannel", (t) =>
  t.field({
    type: payloadType("RetryMarketingPostChannelPayload", "marketingPost", MarketingPostRef, "post"),
    description: "Publishes a failed channel of a post again, now (never twice: a post that did go out is found and kept).",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: RetryMarketingPostChannelInput, required: true, description: "The channel." }) },
    resolve: (_root, { input }, ctx) => retryTarget(ctx, idOf(input.targetId, ["input", "targetId"])),
  }),
);
