import type { IncomingMessage } from "node:http";
import { systemContext } from "../context.ts";
import { prisma } from "../db/client.ts";
import { tenantScoped } from "../db/tenancy.ts";
import type { Env } from "../env.ts";
import { runMutation } from "../events/pipeline.ts";
import type { ChannelPlatform } from "../generated/prisma/enums.ts";
import type { InboundNotice } from "../integrations/provider.ts";
import { enqueueJobs } from "../webhooks/store.ts";
import { publicAccount } from "./accounts.ts";
import type { WorkerScope } from "./outcomes.ts";
import { marketingRuntime, type MarketingRuntime } from "./runtime.ts";

/** The task that turns a stored platform notification into domain events. */
export const INBOUND_TASK = "marketing.inbound";

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
  const dedupKey = `${platform}:${key}`;
  const stored = await prisma.$transaction(async (tx) => {
    const { count } = await tx.marketingInboundEvent.createMany({ data: [{ platform, dedupKey, payload: payload as never }], skipDuplicates: true });
    if (!count) return false;
    const row = await tx.marketingInboundEvent.findUniqueOrThrow({ where: { dedupKey }, select: { id: true } });
    await enqueueJobs(tx, [{ identifier: INBOUND_TASK, payload: { inboundId: row.id }, jobKey: `marketing-inbound:${row.id}`, maxAttempts: 10 }]);
    return true;
  });
  return json(200, { received: true, duplicate: !stored });
}

const describe = (n: InboundNotice) => (n.detail ? `${n.kind}: ${n.detail}` : n.kind).slice(0, 200);

/**
 * The `marketing.inbound` job: the notices of one stored notification become, for every tenant's channel account
 * they name (platform and external id), one pipeline change each: `lastNotifiedAt` (the notification's receipt
 * time) and `lastNotification`, event `channel_account.notified` (audit, outbox, live). Idempotent: an account that
 * already carries this notification's receipt time is skipped, and the row is marked processed at the end.
 * Notices for accounts no tenant has connected are dropped.
 */
export async function processInbound(scope: WorkerScope, runtime: MarketingRuntime, inboundId: string): Promise<{ notified: number }> {
  const inbound = await scope.prisma.marketingInboundEvent.findUnique({ where: { id: inboundId } });
  if (!inbound || inbound.processedAt) return { notified: 0 };
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
