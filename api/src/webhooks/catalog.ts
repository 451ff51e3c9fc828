import type { DomainEvent } from "../events/domain-event.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import * as prismaEnums from "../generated/prisma/enums.ts";
import type { EventTypeDefinition } from "./deliverer.ts";

/** The version of every payload below; a breaking change to one is a new version, never an edit. */
export const PAYLOAD_VERSION = 1;

/** Sent by `sendTestWebhook` to one endpoint, whatever its filter. */
export const TEST_EVENT_TYPE = "webhook.test";

type JsonSchema = Record<string, unknown>;

interface Entity {
  model: string;
  label: string;
  actions: Partial<Record<string, string>>;
}

const entities: Record<string, Entity> = {
  job: {
    model: "Job",
    label: "a new-construction job",
    actions: { created: "was created", updated: "had its details changed", status_changed: "moved to another phase or status", archived: "was archived" },
  },
  bid: {
    model: "Bid",
    label: "a bid to a builder",
    actions: { created: "was created", updated: "had its details or line items changed", status_changed: "changed status", archived: "was archived" },
  },
  service_call: {
    model: "ServiceCall",
    label: "a residential service call",
    actions: { created: "was taken", updated: "had its details changed", status_changed: "changed status", archived: "was archived" },
  },
  builder: { model: "Builder", label: "a home builder (shared by every tenant)", actions: { created: "was added", updated: "was changed", archived: "was archived" } },
  tenant_config: { model: "TenantConfig", label: "the tenant's configuration", actions: { updated: "was changed" } },
};

/** Event types that name one transition of a `status_changed` event; sent in addition to it, with their own id. */
const statusAliases: Array<{ type: string; entityType: string; status: string; description: string }> = [
  { type: "job.completed", entityType: "job", status: "complete", description: "A job reached COMPLETE." },
  { type: "bid.submitted", entityType: "bid", status: "submitted", description: "A bid was submitted to its builder." },
  { type: "bid.won", entityType: "bid", status: "won", description: "A bid was won." },
  { type: "bid.lost", entityType: "bid", status: "lost", description: "A bid was lost." },
  { type: "service_call.dispatched", entityType: "service_call", status: "dispatched", description: "A service call was dispatched to its technician." },
  { type: "service_call.completed", entityType: "service_call", status: "completed", description: "A service call was completed." },
];

const endpointEvents: Record<string, string> = {
  "webhook_endpoint.created": "A webhook endpoint was created.",
  "webhook_endpoint.updated": "A webhook endpoint's URL, description, filter or rate limit changed.",
  "webhook_endpoint.deleted": "A webhook endpoint was deleted.",
  "webhook_endpoint.disabled": "A webhook endpoint was disabled: by an admin, or automatically after failing for days (`disabledReason` says which).",
  "webhook_endpoint.enabled": "A disabled webhook endpoint was enabled again.",
  "webhook_endpoint.secret_rotated": "A webhook endpoint's signing secret was rotated (the old one keeps verifying for 24 hours).",
};

/** The marketing module's events (marketing/*.ts): the post as stored, the channel account without its sealed tokens. */
const marketingEvents: Array<{ type: string; model: string; omit?: string[]; description: string }> = [
  { type: "marketing_post.created", model: "MarketingPost", description: "A marketing post was created (a draft, or scheduled)." },
  { type: "marketing_post.updated", model: "MarketingPost", description: "A draft or scheduled marketing post was edited." },
  { type: "marketing_post.cancelled", model: "MarketingPost", description: "A marketing post was cancelled before it was published." },
  { type: "marketing_post.status_changed", model: "MarketingPost", description: "One channel of a marketing post finished (or was retried) while others are still pending." },
  { type: "marketing_post.published", model: "MarketingPost", description: "A marketing post was published on every channel." },
  { type: "marketing_post.partially_published", model: "MarketingPost", description: "A marketing post finished: published on some channels, failed on others." },
  { type: "marketing_post.failed", model: "MarketingPost", description: "A marketing post failed on every channel." },
  { type: "channel_account.connected", model: "ChannelAccount", omit: ["accessTokenSealed", "refreshTokenSealed", "tokenKeyId"], description: "A channel account (Facebook Page, Instagram account, Google Business Profile location) was connected or reconnected." },
  { type: "channel_account.needs_reconnect", model: "ChannelAccount", omit: ["accessTokenSealed", "refreshTokenSealed", "tokenKeyId"], description: "The platform refused a channel account's tokens (expired, revoked, refresh failed, deauthorized): it must be connected again." },
  { type: "channel_account.disconnected", model: "ChannelAccount", omit: ["accessTokenSealed", "refreshTokenSealed", "tokenKeyId"], description: "A channel account was disconnected." },
  { type: "channel_account.updated", model: "ChannelAccount", omit: ["accessTokenSealed", "refreshTokenSealed", "tokenKeyId"], description: "A channel account's circuit breaker changed state (`breakerState`)." },
];

/** What partners see of an endpoint in `webhook_endpoint.*` payloads: never its secrets. */
export const endpointViewSchema: JsonSchema = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    url: { type: "string", format: "uri" },
    description: { type: "string" },
    filterTypes: { type: "array", items: { type: "string" } },
    rateLimitPerSecond: { type: ["integer", "null"] },
    disabled: { type: "boolean" },
    disabledReason: { type: ["string", "null"] },
    failingSince: { type: ["string", "null"], format: "date-time" },
    version: { type: "integer" },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
  },
  required: ["id", "url", "filterTypes", "disabled"],
};

/** One entry of the catalog: what partners subscribe to. */
export interface CatalogEntry extends EventTypeDefinition {
  version: number;
  /** JSON Schema of the whole body (the envelope), `data` included. */
  schema: JsonSchema;
}

/**
 * Every event type partners can receive, with a description and the JSON Schema of its payload. Entity schemas
 * come from the data model itself (Prisma's), so they cannot drift from what is sent.
 */
export function catalogTypesFor(event: Pick<DomainEvent, "type" | "entityType" | "action" | "after">): string[] {
  const types = isCatalogType(event.type) ? [event.type] : [];
  if (event.action === "status_changed") {
    const status = (event.after as { status?: unknown } | null)?.status;
    for (const alias of statusAliases) if (alias.entityType === event.entityType && alias.status === status) types.push(alias.type);
  }
  return types;
}

/** The `data` of every payload: the entity as stored after the change, and the values of the fields it changed. */
export function payloadData(event: Pick<DomainEvent, "before" | "after" | "entityType" | "entityId" | "action">) {
  const object = (event.after ?? event.before) as Record<string, unknown> | null;
  let previous: Record<string, unknown> | null = null;
  if (event.before && event.after) {
    const before = event.before as Record<string, unknown>;
    const after = event.after as Record<string, unknown>;
    previous = {};
    for (const key of Object.keys(before)) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return { entityType: event.entityType, entityId: event.entityId, action: event.action, object, previous, truncated: false };
}

/**
 * What is sent instead when a payload exceeds WEBHOOK_MAX_PAYLOAD_BYTES: a reference (the entity's id and type),
 * `truncated: true`; the receiver reads the entity through the API. The change itself never fails for it.
 */
export function referenceData(event: Pick<DomainEvent, "entityType" | "entityId" | "action">) {
  return { entityType: event.entityType, entityId: event.entityId, action: event.action, object: null, previous: null, truncated: true };
}

function buildCatalog(): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const [entityType, entity] of Object.entries(entities)) {
    const object = modelSchema(entity.model);
    for (const [action, verb] of Object.entries(entity.actions)) {
      out.push(entry(`${entityType}.${action}`, `${capitalize(entity.label)} ${verb}.`, object));
    }
  }
  for (const alias of statusAliases) out.push(entry(alias.type, `${alias.description} Sent in addition to \`${alias.entityType}.status_changed\`.`, modelSchema(entities[alias.entityType]!.model)));
  for (const [name, description] of Object.entries(endpointEvents)) out.push(entry(name, description, endpointViewSchema));
  for (const e of marketingEvents) out.push(entry(e.type, e.description, modelSchema(e.model, e.omit)));
  out.push(entry(TEST_EVENT_TYPE, "A test event sent by sendTestWebhook to one endpoint, whatever its filter.", { type: "object" }));
  return out;
}

function entry(name: string, description: string, object: JsonSchema): CatalogEntry {
  const schema = envelopeSchema(name, object);
  return { name, description, version: PAYLOAD_VERSION, schema, schemas: { [String(PAYLOAD_VERSION)]: schema } };
}

function envelopeSchema(type: string, object: JsonSchema): JsonSchema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: type,
    type: "object",
    properties: {
      id: { type: "string", format: "uuid", description: "The event id: also the webhook-id header; deduplicate on it." },
      type: { const: type },
      version: { const: PAYLOAD_VERSION },
      timestamp: { type: "string", format: "date-time", description: "When the change happened." },
      tenantId: { type: "string", format: "uuid" },
      data: {
        type: "object",
        properties: {
          entityType: { type: "string" },
          entityId: { type: "string" },
          action: { type: "string" },
          object: { anyOf: [object, { type: "null" }], description: "The entity after the change (before it, for a deletion); null when truncated." },
          previous: { type: ["object", "null"], description: "The previous values of the fields the change modified; null for a creation." },
          truncated: { type: "boolean", description: "True when the payload exceeded the size bound: `object` is omitted, read it through the API." },
        },
        required: ["entityType", "entityId", "action", "object", "previous", "truncated"],
      },
    },
    required: ["id", "type", "version", "timestamp", "tenantId", "data"],
  };
}

const scalarSchemas: Record<string, JsonSchema> = {
  String: { type: "string" },
  Int: { type: "integer" },
  Float: { type: "number" },
  Boolean: { type: "boolean" },
  DateTime: { type: "string", format: "date-time" },
  Json: {},
  BigInt: { type: "string" },
  Decimal: { type: "string" },
};

/** The JSON Schema of a model's row as JSON (relations left out), from the generated data model. */
function modelSchema(model: string, omit: readonly string[] = []): JsonSchema {
  const fields = getDatamodel().datamodel.models[model as keyof ReturnType<typeof getDatamodel>["datamodel"]["models"]]?.fields;
  if (!fields) throw new Error(`catalog: no model ${model}`);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const field of fields) {
    if (field.kind === "object" || omit.includes(field.name)) continue;
    const enumValues = (prismaEnums as Record<string, unknown>)[field.type];
    let schema: JsonSchema =
      field.kind === "enum" && enumValues ? { type: "string", enum: Object.values(enumValues as Record<string, string>) } : (scalarSchemas[field.type] ?? {});
    if (field.isList) schema = { type: "array", items: schema };
    if (!field.isRequired) schema = { anyOf: [schema, { type: "null" }] };
    properties[field.name] = schema;
    required.push(field.name);
  }
  return { type: "object", properties, required };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const eventCatalog: readonly CatalogEntry[] = buildCatalog();

const catalogNames = new Set(eventCatalog.map((e) => e.name));
export const isCatalogType = (type: string) => catalogNames.has(type);

/**
 * The catalog types one domain event is sent as: its own type when the catalog has it, then the status alias of
 * its transition (`bid.status_changed` to WON is also `bid.won`). Internal events (resends, replays) map to none.
 */
