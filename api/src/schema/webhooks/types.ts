import { WebhookDeliveryStatus } from "../../generated/prisma/enums.ts";
import { eventCatalog } from "../../webhooks/catalog.ts";
import { detailedCatalog } from "../../webhooks/catalog-schemas.ts";
import { svixForApi } from "../../webhooks/runtime.ts";
import { builder } from "../builder.ts";
import { whereId } from "../common.ts";

/** Admins and owners, and API keys with the `webhooks:manage` scope: every field of this domain. */
export const manage = { can: "webhook:manage" } as const;

export const WebhookDeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  description: "Where the delivery of one message to one endpoint stands.",
  values: {
    PENDING: { value: WebhookDeliveryStatus.pending, description: "Not delivered yet: an attempt is due (see nextAttemptAt)." },
    SUCCEEDED: { value: WebhookDeliveryStatus.succeeded, description: "The endpoint answered 2xx." },
    FAILED: { value: WebhookDeliveryStatus.failed, description: "Every attempt of the retry schedule failed." },
  } as const,
});

const detailOf = async (name: string) => (await detailedCatalog()).find((e) => e.name === name)!;

const WebhookEventType = builder.objectRef<(typeof eventCatalog)[number]>("WebhookEventType").implement({
  description: "An event type partners can subscribe to, with the JSON Schema of its payload.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The type, as in the payload's `type` and the endpoint filter (e.g. `bid.won`)." }),
    description: t.exposeString("description", { description: "When it is sent." }),
    version: t.exposeInt("version", { description: "The payload version (the envelope's `version`)." }),
    schema: t.string({ description: "JSON Schema (2020-12) of the whole payload, as JSON text.", resolve: async (e) => JSON.stringify((await detailOf(e.name)).schema) }),
    example: t.string({ description: "An example payload, as JSON text.", resolve: async (e) => JSON.stringify((await detailOf(e.name)).example) }),
    selection: t.string({
      nullable: true,
      description: "The GraphQL selection `data.object` answers, on the entity's type: `node(id:)` with it returns the same object. Null for `webhook.test`.",
      resolve: async (e) => (await detailOf(e.name)).selection,
    }),
  }),
});

export const WebhookEndpointRef = builder.prismaNode("WebhookEndpoint", {
  description: "A partner endpoint receiving the tenant's events, signed with the Standard Webhooks scheme.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: manage,
  fields: (t) => ({
    url: t.exposeString("url", { description: "Where events are POSTed." }),
    description: t.exposeString("description", { description: "What the endpoint is for." }),
    filterTypes: t.exposeStringList("filterTypes", { description: "The event types it receives; empty: all of them." }),
    rateLimitPerSecond: t.exposeInt("rateLimitPerSecond", { nullable: true, description: "Messages per second at most; null: no limit." }),
    disabled: t.exposeBoolean("disabled", { description: "Disabled endpoints receive nothing; their pending deliveries resume when enabled." }),
    disabledReason: t.exposeString("disabledReason", { nullable: true, description: "Why it was disabled." }),
    failingSince: t.expose("failingSince", { type: "DateTime", nullable: true, description: "Since when every attempt has failed; null while deliveries succeed." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
    deliveries: t.relatedConnection("deliveries", {
      cursor: "id",
      totalCount: true,
      description: "Messages to this endpoint, newest first.",
      args: { status: t.arg({ type: [WebhookDeliveryStatusEnum], description: "Only deliveries in these states." }) },
      query: (args) => ({ where: args.status?.length ? { status: { in: args.status } } : {}, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    }),
    attempts: t.prismaConnection(
      {
        type: "WebhookAttempt",
        cursor: "id",
        description: "Every HTTP attempt to this endpoint, newest first.",
        resolve: (query, endpoint, _args, ctx) =>
          ctx.db.webhookAttempt.findMany({ ...query, where: { endpointId: endpoint.id }, orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
        totalCount: (endpoint, _args, ctx) => ctx.db.webhookAttempt.count({ where: { endpointId: endpoint.id } }),
      },
      { name: "WebhookEndpointAttemptConnection", description: "A page of attempts to an endpoint." },
      { name: "WebhookEndpointAttemptEdge", description: "An attempt in a page." },
    ),
  }),
});

export const WebhookMessageRef = builder.prismaNode("WebhookMessage", {
  description: "An event sent to partners (the outbox row): its id is the `webhook-id` header.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: manage,
  fields: (t) => ({
    eventId: t.exposeString("id", { description: "The event id: the `webhook-id` header and the payload's `id`." }),
    eventType: t.exposeString("eventType", { description: "The event type." }),
    payload: t.exposeString("payload", { description: "The exact JSON body sent." }),
    occurredAt: t.expose("occurredAt", { type: "DateTime", description: "When the change happened." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was written." }),
  }),
});

export const WebhookDeliveryRef = builder.prismaNode("WebhookDelivery", {
  description: "One message to one endpoint, across its attempts.",
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: manage,
  fields: (t) => ({
    status: t.expose("status", { type: WebhookDeliveryStatusEnum, description: "Where it stands." }),
    attemptCount: t.exposeInt("attempts", { description: "Attempts made so far." }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true, description: "When the next attempt is due (pending only)." }),
    lastAttemptAt: t.expose("lastAttemptAt", { type: "DateTime", nullable: true, description: "When it was last attempted." }),
    lastStatusCode: t.exposeInt("lastStatusCode", { nullable: true, description: "The last response status; null when none arrived." }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the last attempt failed without a response (timeout, refused address, …)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    message: t.relation("message", { description: "The message delivered." }),
    endpoint: t.relation("endpoint", { description: "The endpoint it goes to." }),
    attempts: t.relatedConnection("attemptLog", {
      cursor: "id",
      totalCount: true,
      description: "Its attempts, newest first.",
      query: () => ({ orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
    }),
  }),
});

builder.prismaObject("WebhookAttempt", {
  description: "One HTTP attempt of a delivery (or one refused before sending: unsafe address, open circuit).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The attempt's id." }),
    attempt: t.exposeInt("attempt", { description: "Its number within the delivery (1 is the first)." }),
    startedAt: t.expose("startedAt", { type: "DateTime", description: "When it started." }),
    latencyMs: t.exposeInt("latencyMs", { description: "How long it took, in milliseconds." }),
    statusCode: t.exposeInt("statusCode", { nullable: true, description: "The response status; null when no response arrived." }),
    responseBodyExcerpt: t.exposeString("responseBodyExcerpt", { nullable: true, description: "The first 1 KiB of the response body." }),
    error: t.exposeString("error", { nullable: true, description: "Why it failed without a response." }),
    success: t.exposeBoolean("success", { description: "Whether the endpoint answered 2xx." }),
    messageId: t.exposeString("messageId", { description: "The event id (`webhook-id`)." }),
  }),
});

builder.queryField("webhookEventTypes", (t) =>
  t.field({
    type: [WebhookEventType],
    description: "The event catalog: every event type an endpoint can subscribe to.",
    authScopes: { tenant: true },
    resolve: () => [...eventCatalog],
  }),
);

builder.queryField("webhookEndpoints", (t) =>
  t.prismaConnection(
    {
      type: "WebhookEndpoint",
      cursor: "id",
      description: "The acting tenant's webhook endpoints, newest first.",
      authScopes: manage,
      resolve: (query, _root, _args, ctx) => ctx.db.webhookEndpoint.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      totalCount: (_connection, _args, ctx) => ctx.db.webhookEndpoint.count(),
    },
    { name: "WebhookEndpointConnection", description: "A page of webhook endpoints." },
    { name: "WebhookEndpointEdge", description: "A webhook endpoint in a page." },
  ),
);

const WebhookPortalLink = builder.objectRef<{ url: string; token: string }>("WebhookPortalLink").implement({
  description: "A one-time link to Svix's self-service portal for the tenant's endpoints.",
  fields: (t) => ({
    url: t.exposeString("url", { description: "Open it to reach the portal." }),
    token: t.exposeString("token", { description: "The portal's access token (for embedding it)." }),
  }),
});

builder.queryField("webhookPortalLink", (t) =>
  t.field({
    type: WebhookPortalLink,
    nullable: true,
    description: "A link to the Svix app portal when webhooks go through Svix; null with the built-in deliverer.",
    authScopes: manage,
    resolve: async (_root, _args, ctx) => (await svixForApi()?.appPortalLink(ctx.tenant!.id)) ?? null,
  }),
);
