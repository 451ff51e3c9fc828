import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { systemContext } from "../context.ts";
import { prisma } from "../db/client.ts";
import { tenantScoped } from "../db/tenancy.ts";
import type { Env } from "../env.ts";
import { runMutation } from "../events/pipeline.ts";
import type { ChannelPlatform } from "../generated/prisma/enums.ts";
import type { Deauthorized, InboundNotice } from "../integrations/provider.ts";
import { marketingInboundJob } from "../jobs/definitions.ts";
import { enqueueJobs } from "../jobs/queue.ts";
import { publicAccount } from "./accounts.ts";
import type { WorkerScope } from "./outcomes.ts";
import { marketingRuntime, type MarketingRuntime } from "./runtime.ts";

/** The largest notification body read (Meta batches up to 1,000 changes; each is small). */
export const MAX_INBOUND_BYTES = 1_048_576;

export interface InboundOutcome {
  status: number;
  body: string;
  contentType: string;
}

const json = (status: number, body: unknown): InboundOutcome => ({ status, body: JSON.stringify(body), contentType: "application/json" });
const refused = (status: number, code: string, message: string) => json(status, { errors: [{ message, extensions: { code } }] });

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_INBOUND_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Meta's subscription handshake (`GET /integrations/<facebook|instagram>/webhook`): the challenge, or 403. */
export function webhookChallenge(env: Env, platform: ChannelPlatform, query: URLSearchParams): InboundOutcome {
  const provider = marketingRuntime(env).provider(platform);
  const hooks = "unavailable" in provider ? null : provider.webhooks;
  if (!hooks?.challenge) return refused(404, "NOT_FOUND", `${platform} webhooks are not configured`);
  const challenge = hooks.challenge(query);
  return challenge === null ? refused(403, "FORBIDDEN", "verify token mismatch") : { status: 200, body: challenge, contentType: "text/plain" };
}

/**
 * A platform notification (`POST /integrations/<platform>/webhook`). Guarantees:
 * 1. an unsigned or badly signed request (Meta: `X-Hub-Signature-256`, HMAC-SHA256 of the raw body under the app
 *    secret; Google: the Pub/Sub push endpoint's verification token) is refused with 401 and changes nothing;
 * 2. a genuine one is stored (MarketingInboundEvent, keyed by its dedup key) and its `marketing.inbound` job
 *    enqueued in ONE transaction, then answered 200 at once: the work is the worker's;
 * 3. a redelivery (same dedup key) is answered 200 and changes nothing.
 */
export async function receiveWebhook(env: Env, platform: ChannelPlatform, req: IncomingMessage, query: URLSearchParams): Promise<InboundOutcome> {
  const provider = marketingRuntime(env).provider(platform);
  const hooks = "unavailable" in provider ? null : provider.webhooks;
  if (!hooks) return refused(404, "NOT_FOUND", `${platform} webhooks are not configured`);
  const rawBody = await readBody(req);
  if (!rawBody) return refused(413, "BAD_USER_INPUT", "notification too large");
  const key = hooks.verify({ headers: req.headers, query, rawBody });
  if (!key) return refused(401, "UNAUTHENTICATED", "missing or invalid signature");
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return refused(400, "BAD_USER_INPUT", "the body is not JSON");
  }
  const stored = await store(platform, `${platform}:${key}`, payload);
  return json(200, { received: true, duplicate: !stored.created });
}

/**
 * A platform's "the user removed the app" call (`POST /integrations/<facebook|instagram>/deauthorize`, Meta's
 * deauthorize callback: a form with `signed_request`). Guarantees, as for notifications:
 * 1. unsigned or badly signed (HMAC-SHA256 under the app secret: integrations/meta.ts) is refused with 401 and
 *    changes nothing;
 * 2. a genuine one is stored with its `marketing.inbound` job in ONE transaction and answered 200 at once; the
 *    worker turns the accounts that user's consent connected NEEDS_RECONNECT (`processInbound`);
 * 3. a redelivery (same user and issue time) is answered 200 and changes nothing.
 */
export async function receiveDeauthorization(env: Env, platform: ChannelPlatform, req: IncomingMessage): Promise<InboundOutcome> {
  const provider = marketingRuntime(env).provider(platform);
  const deauthorization = "unavailable" in provider ? null : provider.deauthorization;
  if (!deauthorization) return refused(404, "NOT_FOUND", `${platform} has no deauthorization callback configured`);
  const rawBody = await readBody(req);
  if (!rawBody) return refused(413, "BAD_USER_INPUT", "request too large");
  const user = deauthorization.verify(new URLSearchParams(rawBody.toString("utf8")));
  if (!user) return refused(401, "UNAUTHENTICATED", "missing or invalid signed_request");
  const stored = await store(platform, `deauthorize:${user.userId}:${user.issuedAt}`, { deauthorize: user });
  return json(200, { received: true, duplicate: !stored.created });
}

/** The path of a data deletion request's status page; `code` is the confirmation code Meta shows the user. */
export const dataDeletionStatusPath = (platform: ChannelPlatform, code: string) => `/integrations/${platform}/data-deletion/${code}`;

/** A confirmation code is the stored request's id without its dashes: 32 hex digits, unguessable (UUID v4). */
const codeOf = (id: string) => id.replaceAll("-", "");
const idOf = (code: string) => (/^[0-9a-f]{32}$/.test(code) ? `${code.slice(0, 8)}-${code.slice(8, 12)}-${code.slice(12, 16)}-${code.slice(16, 20)}-${code.slice(20)}` : null);

/**
 * Meta's data deletion request callback (`POST /integrations/<facebook|instagram>/data-deletion`, the app's "Data
 * Deletion Request URL"): the user removed the app and asked for their data to be deleted. The same form and
 * `signed_request` as the deauthorize callback, verified the same way (HMAC-SHA256 under the app secret). Guarantees:
 * 1. unsigned or badly signed is refused with 401 and changes nothing;
 * 2. a genuine one is stored with its `marketing.inbound` job in ONE transaction and answered 200 at once with Meta's
 *    documented shape `{ url, confirmation_code }`: `url` is the request's status page (`dataDeletionStatus`); the
 *    worker erases that user's data from every tenant (`eraseUserData`);
 * 3. a redelivery (same user and issue time) is answered with the same code and changes nothing.
 * The stored row keeps the user's id only until the worker is done; its dedup key holds a hash of it.
 */
export async function receiveDataDeletion(env: Env, platform: ChannelPlatform, req: IncomingMessage): Promise<InboundOutcome> {
  const provider = marketingRuntime(env).provider(platform);
  const verifier = "unavailable" in provider ? null : provider.deauthorization;
  if (!verifier) return refused(404, "NOT_FOUND", `${platform} has no data deletion callback configured`);
  const rawBody = await readBody(req);
  if (!rawBody) return refused(413, "BAD_USER_INPUT", "request too large");
  const user = verifier.verify(new URLSearchParams(rawBody.toString("utf8")));
  if (!user) return refused(401, "UNAUTHENTICATED", "missing or invalid signed_request");
  const digest = createHash("sha256").update(`${platform}:${user.userId}:${user.issuedAt}`).digest("hex");
  const { id } = await store(platform, `data-deletion:${digest}`, { dataDeletion: user });
  const code = codeOf(id);
  const origin = new URL(env.PUBLIC_API_URL ?? `http://127.0.0.1:${env.API_PORT}`).origin;
  return json(200, { url: `${origin}${dataDeletionStatusPath(platform, code)}`, confirmation_code: code });
}

/** Where a data deletion request stands, for its status page; null for an unknown code. */
export interface DataDeletionStatus {
  confirmationCode: string;
  platform: ChannelPlatform;
  status: "pending" | "completed";
  requestedAt: string;
  completedAt: string | null;
  /** Channel accounts whose tokens and user id were erased (once completed). */
  accountsErased: number | null;
}

export async function dataDeletionStatus(platform: ChannelPlatform, code: string): Promise<DataDeletionStatus | null> {
  const id = idOf(code);
  if (!id) return null;
  const row = await prisma.marketingInboundEvent.findUnique({ where: { id } });
  const request = (row?.payload as { dataDeletion?: { accountsErased?: number } } | null)?.dataDeletion;
  if (!row || row.platform !== platform || !request) return null;
  return {
    confirmationCode: code,
    platform,
    status: row.processedAt ? "completed" : "pending",
    requestedAt: row.receivedAt.toISOString(),
    completedAt: row.processedAt?.toISOString() ?? null,
    accountsErased: row.processedAt ? (request.accountsErased ?? 0) : null,
  };
}

/** Stores a verified inbound call with its job, once per dedup key (one transaction); `created` false for a redelivery. */
async function store(platform: ChannelPlatform, dedupKey: string, payload: unknown): Promise<{ id: string; created: boolean }> {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.marketingInboundEvent.createMany({ data: [{ platform, dedupKey, payload: payload as never }], skipDuplicates: true });
    const row = await tx.marketingInboundEvent.findUniqueOrThrow({ where: { dedupKey }, select: { id: true } });
    if (count) await enqueueJobs(tx, [marketingInboundJob.jobs.of(row.id)]);
    return { id: row.id, created: count > 0 };
  });
}

const describe = (n: InboundNotice) => (n.detail ? `${n.kind}: ${n.detail}` : n.kind).slice(0, 200);

/**
 * The `marketing.inbound` job: the notices of one stored notification become, for every tenant's channel account
 * they name (platform and external id), one pipeline change each: `lastNotifiedAt` (the notification's receipt
 * time) and `lastNotification`, event `channel_account.notified` (audit, outbox, live). Idempotent: an account that
 * already carries this notification's receipt time is skipped, and the row is marked processed at the end.
 * Notices for accounts no tenant has connected are dropped. A stored deauthorization goes to `deauthorize`.
 */
export async function processInbound(scope: WorkerScope, runtime: MarketingRuntime, inboundId: string): Promise<{ notified: number }> {
  const inbound = await scope.prisma.marketingInboundEvent.findUnique({ where: { id: inboundId } });
  if (!inbound || inbound.processedAt) return { notified: 0 };
  const deauthorized = (inbound.payload as { deauthorize?: Deauthorized } | null)?.deauthorize;
  if (deauthorized) return deauthorize(scope, inbound.id, inbound.platform, deauthorized);
  const deletion = (inbound.payload as { dataDeletion?: Deauthorized } | null)?.dataDeletion;
  if (deletion) return eraseUserData(scope, inbound.id, inbound.platform, deletion);
  const provider = runtime.provider(inbound.platform);
  const notices = "unavailable" in provider || !provider.webhooks ? [] : provider.webhooks.parse(inbound.payload);
  const latest = new Map<string, InboundNotice>();
  for (const n of notices) latest.set(n.externalId, n); // several changes of one account in one delivery: one event, the last one
  let notified = 0;
  if (latest.size) {
    for (const { id: tenantId } of await scope.prisma.tenant.findMany({ select: { id: true } })) {
      const accounts = await tenantScoped(scope.prisma, tenantId).channelAccount.findMany({
        where: { platform: inbound.platform, externalId: { in: [...latest.keys()] }, status: { not: "disconnected" } },
        select: { id: true, externalId: true, lastNotifiedAt: true },
      });
      for (const account of accounts) {
        if (account.lastNotifiedAt && account.lastNotifiedAt >= inbound.receivedAt) continue;
        const ctx = await systemContext(tenantId, "marketing-inbound", scope.log, scope.services, scope.prisma);
        if (!ctx) continue;
        await runMutation(ctx, { entityType: "channel_account", action: "updated" }, async (tx) => {
          const before = await tx.channelAccount.findUniqueOrThrow({ where: { id: account.id } });
          const after = await tx.channelAccount.update({ where: { id: account.id }, data: { lastNotifiedAt: inbound.receivedAt, lastNotification: describe(latest.get(account.externalId)!) } });
          return { result: after, entityId: account.id, before: publicAccount(before), after: publicAccount(after), eventType: "channel_account.notified" };
        });
        notified++;
      }
    }
  }
  await scope.prisma.marketingInboundEvent.update({ where: { id: inboundId }, data: { processedAt: new Date() } });
  return { notified };
}

/**
 * A user removed the app: every tenant's connected account of this platform whose tokens carry that user's consent
 * (`grantUserId`) becomes NEEDS_RECONNECT with the reason, its tokens erased (the platform has invalidated them),
 * one pipeline change each (event `channel_account.needs_reconnect`: audit, outbox, live). Idempotent: accounts no
 * longer connected are skipped, and the row is marked processed at the end.
 */
async function deauthorize(scope: WorkerScope, inboundId: string, platform: ChannelPlatform, user: Deauthorized): Promise<{ notified: number }> {
  let notified = 0;
  for (const { id: tenantId } of await scope.prisma.tenant.findMany({ select: { id: true } })) {
    const accounts = await tenantScoped(scope.prisma, tenantId).channelAccount.findMany({ where: { platform, grantUserId: user.userId, status: "connected" }, select: { id: true } });
    for (const account of accounts) {
      const ctx = await systemContext(tenantId, "marketing-inbound", scope.log, scope.services, scope.prisma);
      if (!ctx) continue;
      await runMutation(ctx, { entityType: "channel_account", action: "status_changed" }, async (tx) => {
        const before = await tx.channelAccount.findUniqueOrThrow({ where: { id: account.id } });
        const after = await tx.channelAccount.update({
          where: { id: account.id },
          data: { status: "needs_reconnect", lastError: "the user removed the app on the platform (deauthorized): connect it again", accessTokenSealed: null, refreshTokenSealed: null, tokenExpiresAt: null, version: { increment: 1 } },
        });
        return { result: after, entityId: account.id, before: publicAccount(before), after: publicAccount(after), eventType: "channel_account.needs_reconnect" };
      });
      notified++;
    }
  }
  await scope.prisma.marketingInboundEvent.update({ where: { id: inboundId }, data: { processedAt: new Date() } });
  return { notified };
}

/**
 * A data deletion request (`receiveDataDeletion`): in every tenant, each channel account of this platform whose
 * tokens carry that user's consent (`grantUserId`, whatever its status) loses its sealed tokens and the user's id and
 * becomes DISCONNECTED with the reason and the confirmation code, one pipeline change each (event
 * `channel_account.data_deleted`: audit, outbox, live). The account row stays (the tenant's post history names it);
 * what was the user's (their consent's tokens, their app-scoped id) is gone. Stored deauthorizations of that user
 * (which name them) are deleted, and the request's own row keeps only the outcome, not the user's id. Idempotent: an
 * erased account no longer carries the id, and the row is marked processed at the end.
 */
async function eraseUserData(scope: WorkerScope, inboundId: string, platform: ChannelPlatform, user: Deauthorized): Promise<{ notified: number }> {
  const code = codeOf(inboundId);
  let erased = 0;
  for (const { id: tenantId } of await scope.prisma.tenant.findMany({ select: { id: true } })) {
    const accounts = await tenantScoped(scope.prisma, tenantId).channelAccount.findMany({ where: { platform, grantUserId: user.userId }, select: { id: true } });
    for (const account of accounts) {
      const ctx = await systemContext(tenantId, "marketing-data-deletion", scope.log, scope.services, scope.prisma);
      if (!ctx) continue;
      await runMutation(ctx, { entityType: "channel_account", action: "updated" }, async (tx) => {
        const before = await tx.channelAccount.findUniqueOrThrow({ where: { id: account.id } });
        const after = await tx.channelAccount.update({
          where: { id: account.id },
          data: {
            status: "disconnected", accessTokenSealed: null, refreshTokenSealed: null, tokenExpiresAt: null, grantUserId: null,
            lastError: `the person who connected it asked ${platform === "instagram" ? "Instagram" : "Facebook"} for their data to be deleted (confirmation code ${code}): its tokens were erased; connect it again to publish`,
            version: { increment: 1 },
          },
        });
        return { result: after, entityId: account.id, before: publicAccount(before), after: publicAccount(after), eventType: "channel_account.data_deleted" };
      });
      erased++;
    }
  }
  await scope.prisma.$transaction([
    scope.prisma.marketingInboundEvent.deleteMany({ where: { platform, dedupKey: { startsWith: `deauthorize:${user.userId}:` }, processedAt: { not: null } } }),
    scope.prisma.marketingInboundEvent.update({ where: { id: inboundId }, data: { processedAt: new Date(), payload: { dataDeletion: { accountsErased: erased } } } }),
  ]);
  return { notified: erased };
}
