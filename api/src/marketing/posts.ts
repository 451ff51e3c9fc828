import { randomUUID } from "node:crypto";
import type { Context } from "../context.ts";
import { tenantOwned } from "../db/tenancy.ts";
import { versioned, versionedUpdate } from "../domain/versioned.ts";
import { badInput, conflict, notFound } from "../errors.ts";
import { runMutation, type TenantTx } from "../events/pipeline.ts";
import type { ChannelPlatform, MarketingPostStatus } from "../generated/prisma/client.ts";
import { enqueuePublish, removePublish } from "./queue.ts";

/** What each platform takes in a post, checked here and shown by the composer (`marketingTextLimits`). */
export interface PlatformRules {
  /** The longest text, in characters (Facebook 63,206; Instagram captions 2,200; Google local posts 1,500). */
  maxLength: number;
  /** Hashtags a caption may carry (Instagram: 30, its documented limit outside PROVIDERS.md, UNCONF); null: no limit. */
  maxHashtags: number | null;
  /** Whether a post needs an image (an Instagram feed post is a media container: PROVIDERS.md §2). */
  requiresImage: boolean;
  /** Images a post can carry here: Facebook's `/photos` and Instagram's container take one; Google's `media[]` several. */
  maxImages: number;
}

export const platformRules: Record<ChannelPlatform, PlatformRules> = {
  facebook: { maxLength: 63_206, maxHashtags: null, requiresImage: false, maxImages: 1 },
  instagram: { maxLength: 2_200, maxHashtags: 30, requiresImage: true, maxImages: 1 },
  google_business: { maxLength: 1_500, maxHashtags: null, requiresImage: false, maxImages: 10 },
};

/** Hashtags as Instagram counts them: `#` then letters, digits or `_`. */
export const hashtagCount = (text: string) => (text.match(/(^|[^\p{L}\p{N}_&])#[\p{L}\p{N}_]+/gu) ?? []).length;

const platformLabel: Record<ChannelPlatform, string> = { facebook: "Facebook", instagram: "Instagram", google_business: "Google Business Profile" };

/** What is wrong with a post for one platform (empty when it fits): each problem with the input field it is about. */
export function platformProblems(platform: ChannelPlatform, post: { text: string; mediaUrls: readonly string[] }): Array<{ field: "text" | "mediaUrls"; message: string }> {
  const rules = platformRules[platform];
  const name = platformLabel[platform];
  const problems: Array<{ field: "text" | "mediaUrls"; message: string }> = [];
  const length = [...post.text].length;
  if (length > rules.maxLength) problems.push({ field: "text", message: `${name} takes at most ${rules.maxLength} characters (this is ${length})` });
  const tags = hashtagCount(post.text);
  if (rules.maxHashtags !== null && tags > rules.maxHashtags) problems.push({ field: "text", message: `${name} takes at most ${rules.maxHashtags} hashtags (this has ${tags})` });
  if (rules.requiresImage && !post.mediaUrls.length) problems.push({ field: "mediaUrls", message: `${name} posts need an image` });
  if (post.mediaUrls.length > rules.maxImages) problems.push({ field: "mediaUrls", message: `${name} takes ${rules.maxImages === 1 ? "one image" : `at most ${rules.maxImages} images`} per post` });
  return problems;
}

export interface PostInput {
  text?: string | null;
  mediaUrls?: string[] | null;
  channelAccountIds?: string[] | null;
  scheduledAt?: Date | null;
  timeZone?: string | null;
}

const validZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Checks the parts of a post against each other and the chosen channels; BAD_USER_INPUT at the offending field. */
async function checkPost(tx: TenantTx, post: { text: string; mediaUrls: string[]; scheduledAt: Date | null; timeZone: string }, channelIds: string[]) {
  if (!post.text.trim()) throw badInput("must not be blank", ["input", "text"]);
  if (post.mediaUrls.length > 10) throw badInput("at most 10 media URLs", ["input", "mediaUrls"]);
  for (const url of post.mediaUrls) if (!/^https?:\/\/[^\s]+$/.test(url)) throw badInput(`not an http(s) URL: ${url.slice(0, 100)}`, ["input", "mediaUrls"]);
  if (!validZone(post.timeZone)) throw badInput("not an IANA time zone", ["input", "timeZone"]);
  if (post.scheduledAt && post.scheduledAt.getTime() < Date.now() - 60_000) throw badInput("must not be in the past", ["input", "scheduledAt"]);
  if (!channelIds.length) throw badInput("pick at least one channel", ["input", "channelAccountIds"]);
  const accounts = await tx.channelAccount.findMany({ where: { id: { in: channelIds } }, select: { id: true, platform: true, status: true, name: true } });
  if (accounts.length !== new Set(channelIds).size) throw badInput("unknown channel account", ["input", "channelAccountIds"]);
  for (const a of accounts) {
    if (a.status === "disconnected") throw badInput(`${a.name} is disconnected`, ["input", "channelAccountIds"]);
    const [problem] = platformProblems(a.platform, post);
    if (problem) throw badInput(`${problem.message}: ${a.name}`, ["input", problem.field]);
  }
}

/** A post with its channel targets replaced by `channelIds` (kept targets keep their idempotency key). */
async function setTargets(tx: TenantTx, postId: string, channelIds: string[]) {
  await tx.marketingPostTarget.deleteMany({ where: { postId, channelAccountId: { notIn: channelIds } } });
  const existing = new Set((await tx.marketingPostTarget.findMany({ where: { postId }, select: { channelAccountId: true } })).map((t) => t.channelAccountId));
  const fresh = channelIds.filter((id) => !existing.has(id));
  if (fresh.length) await tx.marketingPostTarget.createMany({ data: fresh.map((channelAccountId) => tenantOwned({ postId, channelAccountId, idempotencyKey: randomUUID() })) });
  return tx.marketingPostTarget.findMany({ where: { postId }, select: { id: true } });
}

const statusOf = (scheduledAt: Date | null): MarketingPostStatus => (scheduledAt ? "scheduled" : "draft");

/** Creates a post (a draft without `scheduledAt`, else scheduled: one publish job per channel at that time). */
export function createPost(ctx: Context, input: PostInput & { text: string; channelAccountIds: string[] }) {
  return runMutation(ctx, { entityType: "marketing_post", action: "created" }, async (tx) => {
    const tenant = await tx.tenant.findFirst({ select: { timezone: true } });
    const data = { text: input.text, mediaUrls: input.mediaUrls ?? [], scheduledAt: input.scheduledAt ?? null, timeZone: input.timeZone ?? tenant?.timezone ?? "UTC" };
    await checkPost(tx, data, input.channelAccountIds);
    const post = await tx.marketingPost.create({ data: tenantOwned({ ...data, status: statusOf(data.scheduledAt) }) });
    const targets = await setTargets(tx, post.id, input.channelAccountIds);
    if (post.scheduledAt) await enqueuePublish(tx, ctx.tenant!.id, targets.map((t) => t.id), post.scheduledAt);
    return { result: { marketingPost: post }, entityId: post.id, before: null, after: post };
  });
}

/** Edits a draft or scheduled post; the publish jobs follow the new time and channels. */
export function updatePost(ctx: Context, id: string, expectedVersion: number, input: PostInput) {
  return runMutation(ctx, { entityType: "marketing_post", action: "updated" }, async (tx) => {
    const current = await tx.marketingPost.findUnique({ where: { id }, include: { targets: { select: { channelAccountId: true, id: true } } } });
    if (!current) throw notFound("marketing post");
    if (current.status !== "draft" && current.status !== "scheduled") throw conflict(`a ${current.status} post can no longer be edited`);
    const merged = {
      text: input.text ?? current.text,
      mediaUrls: input.mediaUrls ?? current.mediaUrls,
      scheduledAt: input.scheduledAt === undefined ? current.scheduledAt : input.scheduledAt,
      timeZone: input.timeZone ?? current.timeZone,
    };
    const channels = input.channelAccountIds ?? current.targets.map((t) => t.channelAccountId);
    await checkPost(tx, merged, channels);
    const { before, after } = await versionedUpdate(versioned(tx, "marketingPost"), "marketing post", id, expectedVersion, { ...merged, status: statusOf(merged.scheduledAt) });
    await removePublish(tx, current.targets.map((t) => t.id));
    const targets = await setTargets(tx, id, channels);
    if (after.scheduledAt) await enqueuePublish(tx, ctx.tenant!.id, targets.map((t) => t.id), after.scheduledAt);
    return { result: { marketingPost: after }, entityId: id, before, after };
  });
}

/** Cancels a draft or scheduled post: its jobs are removed, its channels cancelled. */
export function cancelPost(ctx: Context, id: string, expectedVersion: number) {
  return runMutation(ctx, { entityType: "marketing_post", action: "status_changed" }, async (tx) => {
    const { before, after } = await versionedUpdate(versioned(tx, "marketingPost"), "marketing post", id, expectedVersion, (post) => {
      if (post.status !== "draft" && post.status !== "scheduled") throw conflict(`a ${post.status} post can no longer be cancelled`);
      return { status: "cancelled" };
    });
    const targets = await tx.marketingPostTarget.findMany({ where: { postId: id }, select: { id: true } });
    await removePublish(tx, targets.map((t) => t.id));
    await tx.marketingPostTarget.updateMany({ where: { postId: id }, data: { status: "cancelled" } });
    return { result: { marketingPost: after }, entityId: id, before, after, eventType: "marketing_post.cancelled" };
  });
}

/** Publishes a failed channel of a post again, now (same idempotency key: never a second post if the first went out). */
export function retryTarget(ctx: Context, targetId: string) {
  return runMutation(ctx, { entityType: "marketing_post", action: "status_changed" }, async (tx) => {
    const target = await tx.marketingPostTarget.findUnique({ where: { id: targetId }, include: { post: true, channelAccount: { select: { status: true } } } });
    if (!target) throw notFound("post channel");
    if (target.status !== "failed") throw conflict(`only a failed channel can be retried (this one is ${target.status})`);
    if (target.channelAccount.status !== "connected") throw conflict("reconnect the channel account first");
    await tx.marketingPostTarget.update({ where: { id: targetId }, data: { status: "pending", lastError: null } });
    const after = await tx.marketingPost.update({ where: { id: target.postId }, data: { status: "publishing", version: { increment: 1 } } });
    await enqueuePublish(tx, ctx.tenant!.id, [targetId], new Date());
    return { result: { marketingPost: after }, entityId: after.id, before: target.post, after };
  });
}
