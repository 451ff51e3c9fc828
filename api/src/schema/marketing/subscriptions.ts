import type { DomainEvent } from "../../events/domain-event.ts";
import { tenantTopicFor } from "../../events/pubsub.ts";
import { builder } from "../builder.ts";
import { ChangeEvent, liveEvents, typeMatches, typesArg } from "../live.ts";
import { ChannelAccountRef } from "./accounts.ts";
import { marketingRead } from "./enums.ts";
import { MarketingPostRef } from "./posts.ts";

const MarketingChange = builder.objectRef<DomainEvent>("MarketingChange").implement({
  description: "A committed change to a channel account or a marketing post.",
  interfaces: [ChangeEvent],
  fields: (t) => ({
    channelAccount: t.prismaField({
      type: "ChannelAccount",
      nullable: true,
      description: "The channel account as this change left it (null when the change is a post's, or you can no longer see it).",
      resolve: (query, e, _args, ctx) => (e.entityType === "channel_account" ? ctx.db.channelAccount.findUnique({ ...query, where: { id: e.entityId } }) : null),
    }),
    marketingPost: t.prismaField({
      type: "MarketingPost",
      nullable: true,
      description: "The post as this change left it, with its channels (null when the change is an account's, or you can no longer see it).",
      resolve: (query, e, _args, ctx) => (e.entityType === "marketing_post" ? ctx.db.marketingPost.findUnique({ ...query, where: { id: e.entityId } }) : null),
    }),
  }),
});

builder.subscriptionField("marketingChanged", (t) =>
  t.field({
    type: MarketingChange,
    description:
      "Every committed change to the acting tenant's channel accounts (connected, breaker state, needs reconnecting, platform notifications) " +
      "and marketing posts (scheduled, publishing, published per channel), filtered. Delivery is at-most-once: after a reconnect, catch up " +
      "with `channelAccounts` and `marketingPosts`.",
    authScopes: marketingRead,
    args: {
      channelAccountId: t.arg.globalID({ for: ChannelAccountRef, description: "Only this channel account." }),
      postId: t.arg.globalID({ for: MarketingPostRef, description: "Only this post." }),
      types: t.arg.stringList({ description: typesArg }),
    },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, tenantTopicFor, (e) => {
        if (e.entityType === "channel_account") return !args.postId && (!args.channelAccountId || e.entityId === args.channelAccountId.id) && typeMatches(args.types)(e);
        if (e.entityType === "marketing_post") return !args.channelAccountId && (!args.postId || e.entityId === args.postId.id) && typeMatches(args.types)(e);
        return false;
      }),
    resolve: (event) => event,
  }),
);

