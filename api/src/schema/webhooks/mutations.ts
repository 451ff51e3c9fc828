import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { tenantOwned } from "../../db/tenancy.ts";
import { text, version } from "../../domain/validation.ts";
import { badInput, notFound } from "../../errors.ts";
import { runMutation, type TenantTx } from "../../events/pipeline.ts";
import { TEST_EVENT_TYPE, unknownPatterns } from "../../webhooks/catalog.ts";
import { endpointWantsEvent } from "../../webhooks/deliverer.ts";
import { changeEndpoint, disableEndpoint, enableEndpoint } from "../../webhooks/endpoints.ts";
import { requeue } from "../../webhooks/redelivery.ts";
import { rotateSecrets, generateWebhookSecret } from "../../webhooks/signing.ts";
import { checkWebhookUrl, WebhookUrlRejectedError } from "../../webhooks/ssrf.ts";
import { usesSvix, webhookSettings } from "../../webhooks/runtime.ts";
import { webhookSyncEndpointJob } from "../../jobs/definitions.ts";
import { enqueueJobs } from "../../jobs/queue.ts";
import { openSecrets, sealSecrets } from "../../webhooks/endpoint-secrets.ts";
import { endpointView } from "../../webhooks/endpoint-view.ts";
import { builder, type InputFields } from "../builder.ts";
import { idOf, payloadType } from "../common.ts";
import { manage, WebhookEndpointRef, WebhookMessageRef } from "./types.ts";

/** Most messages one replay may send again; past it, pick a later `since`. */
export const MAX_REPLAY_MESSAGES = 10_000;

const rateLimit = z.number().int().min(1, "must be at least 1").max(10_000, "must be at most 10000");

const settingsFields = <R extends boolean>(t: InputFields, required: R) => ({
  url: t.string({ required, description: "Where to POST events: https (http and loopback only outside production); private addresses are refused.", validate: { schema: z.string().max(2_000) } }),
  description: t.string({ description: "What the endpoint is for.", validate: { schema: z.string().trim().max(500) } }),
  filterTypes: t.stringList({ description: "Event types to receive: exact (`job.status_changed`) or a whole entity (`job.*`), as subscriptions take them (see webhookEventTypes); empty or omitted: all.", validate: { maxLength: 100 } }),
  rateLimitPerSecond: t.int({ description: "Messages per second at most; null: no limit.", validate: { schema: rateLimit } }),
});

const endpointId = (t: InputFields) => t.globalID({ required: true, for: WebhookEndpointRef, description: "The endpoint." });

const CreateWebhookEndpointInput = builder.inputType("CreateWebhookEndpointInput", {
  description: "A new endpoint; it receives events from its creation on.",
  fields: (t) => settingsFields(t, true),
});
const UpdateWebhookEndpointInput = builder.inputType("UpdateWebhookEndpointInput", {
  description: "Changes to an endpoint; omitted fields keep their value.",
  fields: (t) => ({
    id: endpointId(t),
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    ...settingsFields(t, false),
  }),
});
const DisableWebhookEndpointInput = builder.inputType("DisableWebhookEndpointInput", {
  description: "The endpoint to disable.",
  fields: (t) => ({ id: endpointId(t), reason: t.string({ description: "Why (shown as disabledReason).", validate: { schema: text(500) } }) }),
});
const WebhookEndpointInput = builder.inputType("WebhookEndpointInput", { description: "One endpoint.", fields: (t) => ({ id: endpointId(t) }) });
const ResendWebhookMessageInput = builder.inputType("ResendWebhookMessageInput", {
  description: "A message to deliver again.",
  fields: (t) => ({
    messageId: t.globalID({ required: true, for: WebhookMessageRef, description: "The message." }),
    endpointId: t.globalID({ for: WebhookEndpointRef, description: "Only to this endpoint; omitted: every enabled endpoint subscribed to its type." }),
  }),
});
const ReplayWebhooksInput = builder.inputType("ReplayWebhooksInput", {
  description: "Messages to deliver again, from a point in time.",
  fields: (t) => ({
    since: t.field({ type: "DateTime", required: true, description: "Messages of events at or after this instant." }),
    endpointId: t.globalID({ for: WebhookEndpointRef, description: "Only to this endpoint; omitted: every enabled endpoint." }),
    includeSucceeded: t.boolean({ description: "Also send again what was delivered (default: only what is missing or failed)." }),
  }),
});

const EndpointWithSecret = builder.objectRef<{ endpoint: { id: string }; secret: string }>("WebhookEndpointWithSecret").implement({
  description: "An endpoint and its signing secret, shown this once: store it now.",
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, description: "The endpoint after the change.", resolve: (p) => p.endpoint as never }),
    secret: t.exposeString("secret", { description: "The `whsec_` signing secret (verify with any Standard Webhooks or Svix library)." }),
  }),
});
const EndpointPayload = payloadType("WebhookEndpointPayload", "endpoint", WebhookEndpointRef, "endpoint");
const DeletePayload = builder.objectRef<{ deletedEndpointId: string }>("DeleteWebhookEndpointPayload").implement({
  description: "The result of deleteWebhookEndpoint.",
  fields: (t) => ({ deletedEndpointId: t.exposeID("deletedEndpointId", { description: "The global ID of the deleted endpoint." }) }),
});
const TestPayload = builder.objectRef<{ messageId: string }>("SendTestWebhookPayload").implement({
  description: "The result of sendTestWebhook.",
  fields: (t) => ({
    message: t.prismaField({ type: "WebhookMessage", description: "The test message, queued for the endpoint.", resolve: (query, p, _a, ctx) => ctx.db.webhookMessage.findUniqueOrThrow({ ...query, where: { id: p.messageId } }) }),
  }),
});
const DeliveriesPayload = builder.objectRef<{ deliveryIds: string[] }>("WebhookDeliveriesPayload").implement({
  description: "The deliveries queued again.",
  fields: (t) => ({
    count: t.int({ description: "How many deliveries were queued.", resolve: (p) => p.deliveryIds.length }),
    deliveries: t.prismaField({
      type: ["WebhookDelivery"],
      description: "The deliveries (at most the first 100).",
      resolve: (query, p, _a, ctx) => ctx.db.webhookDelivery.findMany({ ...query, where: { id: { in: p.deliveryIds.slice(0, 100) } } }),
    }),
  }),
});

async function checkedUrl(url: string): Promise<string> {
  try {
    await checkWebhookUrl(url, webhookSettings().config.urlPolicy);
    return url;
  } catch (err) {
    if (err instanceof WebhookUrlRejectedError) throw badInput(err.message, ["input", "url"], { reason: err.extensions.reason });
    throw err;
  }
}

function checkedFilter(types: readonly string[] | null | undefined): string[] {
  const list = [...new Set(types ?? [])];
  const unknown = unknownPatterns(list);
  if (unknown.length) throw badInput(`unknown event types or patterns: ${unknown.join(", ")} (see webhookEventTypes; a whole entity is \`job.*\`)`, ["input", "filterTypes"]);
  return list;
}

const notWithSvix = () => {
  if (usesSvix()) throw badInput("webhooks are delivered through Svix: resend and replay from its app portal (webhookPortalLink)");
};

builder.mutationField("createWebhookEndpoint", (t) =>
  t.field({
    type: EndpointWithSecret,
    description: "Creates a webhook endpoint; returns its signing secret, once.",
    authScopes: manage,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: async (_root, { input }, ctx) => {
      const url = await checkedUrl(input.url);
      const filterTypes = checkedFilter(input.filterTypes);
      const { box } = webhookSettings();
      const id = randomUUID();
      const secret = generateWebhookSecret();
      return runMutation(ctx, { entityType: "webhook_endpoint", action: "created" }, async (tx) => {
        const row = await tx.webhookEndpoint.create({
          data: tenantOwned({ id, url, description: input.description ?? "", filterTypes, rateLimitPerSecond: input.rateLimitPerSecond ?? null, secrets: sealSecrets(box, id, [{ secret, expiresAt: null }]) }),
        });
        if (usesSvix()) await enqueueJobs(tx, [webhookSyncEndpointJob.jobs.of(row.tenantId, id)]);
        return { result: { endpoint: row, secret }, entityId: id, before: null, after: endpointView(row) };
      });
    },
  }),
);

builder.mutationField("updateWebhookEndpoint", (t) =>
  t.field({
    type: EndpointPayload,
    description: "Changes an endpoint's URL, description, event filter or rate limit.",
    authScopes: manage,
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true, description: "The changes." }) },
    resolve: async (_root, { input }, ctx) => {
      const data: Record<string, unknown> = {};
      if (input.url != null) data.url = await checkedUrl(input.url);
      if (input.url === null) throw badInput("cannot be cleared", ["input", "url"]);
      if (input.description !== undefined) data.description = input.description ?? "";
      if (input.filterTypes !== undefined) data.filterTypes = checkedFilter(input.filterTypes);
      if (input.rateLimitPerSecond !== undefined) data.rateLimitPerSecond = input.rateLimitPerSecond;
      return runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, (tx) =>
        changeEndpoint(tx, idOf(input.id, ["input", "id"]), data, { expectedVersion: input.expectedVersion }),
      );
    },
  }),
);

builder.mutationField("disableWebhookEndpoint", (t) =>
  t.field({
    type: EndpointPayload,
    description: "Disables an endpoint: it receives nothing until enabled; its pending deliveries wait.",
    authScopes: manage,
    args: { input: t.arg({ type: DisableWebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, (tx) => disableEndpoint(tx, idOf(input.id, ["input", "id"]), input.reason ?? "disabled by an admin")),
  }),
);

builder.mutationField("enableWebhookEndpoint", (t) =>
  t.field({
    type: EndpointPayload,
    description: "Enables a disabled endpoint; its pending deliveries resume, oldest event first.",
    authScopes: manage,
    args: { input: t.arg({ type: WebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, (tx) => enableEndpoint(tx, idOf(input.id, ["input", "id"]))),
  }),
);

builder.mutationField("deleteWebhookEndpoint", (t) =>
  t.field({
    type: DeletePayload,
    description: "Deletes an endpoint, with its deliveries and attempts.",
    authScopes: manage,
    args: { input: t.arg({ type: WebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "webhook_endpoint", action: "deleted" }, async (tx) => {
        const id = idOf(input.id, ["input", "id"]);
        const before = await tx.webhookEndpoint.findUnique({ where: { id } });
        if (!before) throw notFound("webhook endpoint");
        await tx.webhookEndpoint.deleteMany({ where: { id } });
        if (usesSvix()) await enqueueJobs(tx, [webhookSyncEndpointJob.jobs.of(before.tenantId, id)]);
        return { result: { deletedEndpointId: encodeGlobalID("WebhookEndpoint", id) }, entityId: id, before: endpointView(before), after: null };
      }),
  }),
);

builder.mutationField("rotateWebhookEndpointSecret", (t) =>
  t.field({
    type: EndpointWithSecret,
    description: "Gives an endpoint a new signing secret, returned once; the previous one keeps verifying for 24 hours.",
    authScopes: manage,
    args: { input: t.arg({ type: WebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) => {
      const { box } = webhookSettings();
      const secret = generateWebhookSecret();
      return runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, async (tx) => {
        const outcome = await changeEndpoint(
          tx,
          idOf(input.id, ["input", "id"]),
          (before) => ({ secrets: sealSecrets(box, before.id, rotateSecrets(openSecrets(box, before), new Date(), secret)) }),
          { eventType: "webhook_endpoint.secret_rotated", rotate: true },
        );
        return { ...outcome, result: { endpoint: outcome.row, secret } };
      });
    },
  }),
);

builder.mutationField("sendTestWebhook", (t) =>
  t.field({
    type: TestPayload,
    description: "Sends a `webhook.test` event to one endpoint, whatever its filter.",
    authScopes: manage,
    args: { input: t.arg({ type: WebhookEndpointInput, required: true, description: "The endpoint." }) },
    resolve: (_root, { input }, ctx) => {
      if (ctx.tenant?.config.webhooksEnabled === false) throw badInput("webhooks are switched off in this tenant's configuration");
      const messageId = randomUUID();
      return runMutation(ctx, { entityType: "webhook_message", action: "created" }, async (tx) => {
        const endpoint = await tx.webhookEndpoint.findUnique({ where: { id: idOf(input.id, ["input", "id"]) } });
        if (!endpoint) throw notFound("webhook endpoint");
        const after = { endpointId: endpoint.id, message: "A test event from H2O-ACP: your endpoint receives and verifies our webhooks." };
        return { result: { messageId }, entityId: messageId, before: null, after, eventType: TEST_EVENT_TYPE };
      });
    },
  }),
);

builder.mutationField("resendWebhookMessage", (t) =>
  t.field({
    type: DeliveriesPayload,
    description: "Delivers one message again (with a fresh retry schedule), to one endpoint or to every subscribed one.",
    authScopes: manage,
    args: { input: t.arg({ type: ResendWebhookMessageInput, required: true, description: "What to resend." }) },
    resolve: (_root, { input }, ctx) => {
      notWithSvix();
      const messageId = idOf(input.messageId, ["input", "messageId"]);
      return runMutation(ctx, { entityType: "webhook_message", action: "updated" }, async (tx) => {
        const message = await tx.webhookMessage.findUnique({ where: { id: messageId } });
        if (!message) throw notFound("webhook message");
        const only = input.endpointId ? idOf(input.endpointId, ["input", "endpointId"]) : (message.targetEndpointId ?? null);
        const endpoints = await tx.webhookEndpoint.findMany({ where: { disabled: false, ...(only ? { id: only } : {}) } });
        if (only && !endpoints.length) throw notFound("enabled webhook endpoint");
        const targets = only ? endpoints : endpoints.filter((e) => endpointWantsEvent(e, message.eventType));
        const pairs = targets.map((e) => ({ messageId, endpointId: e.id, occurredAt: message.occurredAt }));
        const deliveryIds = await requeue(tx, message.tenantId, pairs, true);
        return { result: { deliveryIds }, entityId: messageId, before: null, after: { messageId, endpointIds: targets.map((e) => e.id) }, eventType: "webhook_message.resent" };
      });
    },
  }),
);

builder.mutationField("replayWebhooks", (t) =>
  t.field({
    type: DeliveriesPayload,
    description: `Delivers again every message since an instant that was not delivered (or every one, with includeSucceeded), in event order; at most ${MAX_REPLAY_MESSAGES} messages.`,
    authScopes: manage,
    args: { input: t.arg({ type: ReplayWebhooksInput, required: true, description: "What to replay." }) },
    resolve: (_root, { input }, ctx) => {
      notWithSvix();
      const only = input.endpointId ? idOf(input.endpointId, ["input", "endpointId"]) : null;
      // a replay to one endpoint is part of that endpoint's history (its auditTrail); one to all is the tenant's messages'
      return runMutation(ctx, { entityType: only ? "webhook_endpoint" : "webhook_message", action: "updated" }, async (tx) => {
        const endpoints = await tx.webhookEndpoint.findMany({ where: { disabled: false, ...(only ? { id: only } : {}) } });
        if (only && !endpoints.length) throw notFound("enabled webhook endpoint");
        const messages = await tx.webhookMessage.findMany({
          where: { occurredAt: { gte: input.since }, targetEndpointId: null },
          orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
          select: { id: true, eventType: true, occurredAt: true, tenantId: true },
          take: MAX_REPLAY_MESSAGES + 1,
        });
        if (messages.length > MAX_REPLAY_MESSAGES) throw badInput(`more than ${MAX_REPLAY_MESSAGES} messages since then: replay from a later instant`, ["input", "since"]);
        const pairs = messages.flatMap((m) => endpoints.filter((e) => endpointWantsEvent(e, m.eventType)).map((e) => ({ messageId: m.id, endpointId: e.id, occurredAt: m.occurredAt })));
        const deliveryIds = await requeue(tx, ctx.tenant!.id, pairs, input.includeSucceeded ?? false);
        return { result: { deliveryIds }, entityId: only ?? ctx.tenant!.id, before: null, after: { since: input.since, endpointId: only, deliveries: deliveryIds.length }, eventType: "webhook.replayed" };
      });
    },
  }),
);
