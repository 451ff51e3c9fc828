import { ChannelAccountStatus } from "../../generated/prisma/enums.ts";
import { completeConnect, startConnect } from "../../marketing/connect.ts";
import { disconnectAccount } from "../../marketing/disconnect.ts";
import { marketingRuntime, platforms } from "../../marketing/runtime.ts";
import { builder } from "../builder.ts";
import { idOf, payloadType, whereId } from "../common.ts";
import { BreakerStateEnum, ChannelAccountStatusEnum, ChannelPlatformEnum, marketingRead, marketingWrite } from "./enums.ts";

export const ChannelAccountRef = builder.prismaNode("ChannelAccount", {
  description: "A Facebook Page, Instagram professional account or Google Business Profile location the tenant publishes to. Its tokens never leave the API.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: marketingRead,
  fields: (t) => ({
    platform: t.expose("platform", { type: ChannelPlatformEnum, description: "The platform." }),
    externalId: t.exposeString("externalId", { description: "The platform's id of the page, account or location." }),
    name: t.exposeString("name", { description: "Its name on the platform." }),
    status: t.expose("status", { type: ChannelAccountStatusEnum, description: "Whether it can publish." }),
    tokenExpiresAt: t.expose("tokenExpiresAt", { type: "DateTime", nullable: true, description: "When its access expires unless refreshed (the worker refreshes it before)." }),
    breakerState: t.expose("breakerState", { type: BreakerStateEnum, description: "The circuit breaker of its platform calls, as the worker last saw it." }),
    breakerChangedAt: t.expose("breakerChangedAt", { type: "DateTime", nullable: true, description: "When the breaker last changed state." }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why it needs reconnecting, or its last call's failure." }),
    lastNotifiedAt: t.expose("lastNotifiedAt", { type: "DateTime", nullable: true, description: "When the platform last notified about it through its webhooks." }),
    lastNotification: t.exposeString("lastNotification", { nullable: true, description: "What that notification said, in the platform's words (`feed: comment add`, `NEW_REVIEW`)." }),
    connectedAt: t.expose("connectedAt", { type: "DateTime", description: "When it was last connected." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was first connected." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const ChannelPlatformAvailability = builder.objectRef<{ platform: (typeof platforms)[number]; unavailableReason: string | null }>("ChannelPlatformAvailability").implement({
  description: "Whether accounts of a platform can be connected here.",
  fields: (t) => ({
    platform: t.field({ type: ChannelPlatformEnum, description: "The platform.", resolve: (p) => p.platform }),
    available: t.boolean({ description: "Whether it is configured.", resolve: (p) => p.unavailableReason === null }),
    unavailableReason: t.exposeString("unavailableReason", { nullable: true, description: "Why not, when it is not." }),
  }),
});

builder.queryField("channelPlatforms", (t) =>
  t.field({
    type: [ChannelPlatformAvailability],
    description: "The social platforms, and whether each can be connected.",
    authScopes: marketingRead,
    resolve: (_root, _args, ctx) => {
      const runtime = marketingRuntime(ctx.services.env);
      return platforms.map((platform) => {
        const p = runtime.provider(platform);
        return { platform, unavailableReason: "unavailable" in p ? p.unavailable : null };
      });
    },
  }),
);

builder.queryField("channelAccounts", (t) =>
  t.prismaConnection(
    {
      type: "ChannelAccount",
      cursor: "id",
      description: "The tenant's channel accounts, most recently connected first.",
      authScopes: marketingRead,
      args: { includeDisconnected: t.arg.boolean({ description: "Include disconnected accounts (default false)." }) },
      resolve: (query, _root, args, ctx) =>
        ctx.db.channelAccount.findMany({ ...query, where: args.includeDisconnected ? {} : { status: { not: ChannelAccountStatus.disconnected } }, orderBy: [{ connectedAt: "desc" }, { id: "desc" }] }),
      totalCount: (_c, args, ctx) => ctx.db.channelAccount.count({ where: args.includeDisconnected ? {} : { status: { not: ChannelAccountStatus.disconnected } } }),
    },
    { name: "ChannelAccountConnection", description: "A page of channel accounts." },
    { name: "ChannelAccountEdge", description: "A channel account in a page." },
  ),
);

const ChannelCandidate = builder.objectRef<{ externalId: string; name: string }>("ChannelCandidate").implement({
  description: "A page, account or location the user may connect after consenting.",
  fields: (t) => ({
    externalId: t.exposeString("externalId", { description: "The platform's id: pass it to completeChannelConnect." }),
    name: t.exposeString("name", { description: "Its name on the platform." }),
  }),
});

const ChannelConnectAttemptRef = builder.prismaObject("ChannelConnectAttempt", {
  description: "A connection in progress: after the platform's consent, the candidates to pick from.",
  authScopes: marketingRead,
  fields: (t) => ({
    id: t.exposeID("id", { description: "The attempt's id (from the callback's `connect` parameter)." }),
    platform: t.expose("platform", { type: ChannelPlatformEnum, description: "The platform." }),
    candidates: t.field({ type: [ChannelCandidate], description: "What the user may connect (empty until the platform called back).", resolve: (a) => (a.candidates ?? []) as never }),
    error: t.exposeString("error", { nullable: true, description: "Why the connection failed, if it did." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "When the attempt lapses." }),
  }),
});

builder.queryField("channelConnectAttempt", (t) =>
  t.prismaField({
    type: ChannelConnectAttemptRef,
    nullable: true,
    description: "A connection in progress, by its id (null when unknown or expired).",
    authScopes: marketingWrite,
    args: { id: t.arg.id({ required: true, description: "The attempt's id." }) },
    resolve: (query, _root, { id }, ctx) => ctx.db.channelConnectAttempt.findFirst({ ...query, where: { ...whereId(String(id)), expiresAt: { gt: new Date() } } }),
  }),
);

const StartChannelConnectInput = builder.inputType("StartChannelConnectInput", {
  description: "What to connect, and where the browser returns.",
  fields: (t) => ({
    platform: t.field({ type: ChannelPlatformEnum, required: true, description: "The platform." }),
    returnTo: t.string({ required: true, description: "A dashboard path the browser returns to, with `connect=<attempt id>` or `connectError=<reason>`." }),
    accountId: t.globalID({ for: ChannelAccountRef, description: "The account to reconnect, if this is a reconnect." }),
  }),
});

const StartChannelConnectPayload = builder.objectRef<{ attemptId: string; authorizationUrl: string }>("StartChannelConnectPayload").implement({
  description: "Where to send the browser for the platform's consent.",
  fields: (t) => ({
    attemptId: t.exposeID("attemptId", { description: "The attempt's id." }),
    authorizationUrl: t.exposeString("authorizationUrl", { description: "The platform's consent page (authorization code with PKCE and state)." }),
  }),
});

builder.mutationField("startChannelConnect", (t) =>
  t.field({
    type: StartChannelConnectPayload,
    description: "Starts connecting a channel account over OAuth: open authorizationUrl in the browser.",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: StartChannelConnectInput, required: true, description: "What to connect." }) },
    resolve: (_root, { input }, ctx) => startConnect(ctx, input.platform, input.returnTo, input.accountId ? idOf(input.accountId, ["input", "accountId"]) : null),
  }),
);

const CompleteChannelConnectInput = builder.inputType("CompleteChannelConnectInput", {
  description: "The candidate picked after consent.",
  fields: (t) => ({
    attemptId: t.id({ required: true, description: "The attempt (the callback's `connect` parameter)." }),
    externalId: t.string({ required: true, description: "One of the attempt's candidates." }),
  }),
});

builder.mutationField("completeChannelConnect", (t) =>
  t.field({
    type: payloadType("CompleteChannelConnectPayload", "channelAccount", ChannelAccountRef, "channel account"),
    description: "Connects the picked page, account or location (or reconnects it).",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: CompleteChannelConnectInput, required: true, description: "The pick." }) },
    resolve: (_root, { input }, ctx) => completeConnect(ctx, whereId(String(input.attemptId)).id, input.externalId),
  }),
);

const DisconnectChannelAccountInput = builder.inputType("DisconnectChannelAccountInput", {
  description: "The account to disconnect.",
  fields: (t) => ({ id: t.globalID({ required: true, for: ChannelAccountRef, description: "The account." }) }),
});

builder.mutationField("disconnectChannelAccount", (t) =>
  t.field({
    type: payloadType("DisconnectChannelAccountPayload", "channelAccount", ChannelAccountRef, "channel account"),
    description: "Disconnects an account: revokes its grant where the platform allows, forgets its tokens.",
    authScopes: marketingWrite,
    args: { input: t.arg({ type: DisconnectChannelAccountInput, required: true, description: "The account." }) },
    resolve: (_root, { input }, ctx) => disconnectAccount(ctx, idOf(input.id, ["input", "id"])),
  }),
);

