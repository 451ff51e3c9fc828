import type { DomainEvent } from "../events/domain-event.ts";
import type { EventTypeDefinition } from "./deliverer.ts";

/**
 * The version of every payload below; a breaking change to one is a new version, never an edit. 2: `data.object`
 * and `data.previous` in the API's vocabulary (global IDs, the schema's enum values and scalar formats, no internal
 * columns); 1 carried the database rows, and is no longer sent.
 */
export const PAYLOAD_VERSION = 2;

/** Sent by `sendTestWebhook` to one endpoint, whatever its filter. */
export const TEST_EVENT_TYPE = "webhook.test";

interface Entity {
  /** The GraphQL type the payload's `object` is (see vocabulary.ts). */
  graphqlType: string;
  label: string;
  actions: Partial<Record<string, string>>;
}

const entities: Record<string, Entity> = {
  job: {
    graphqlType: "Job",
    label: "a new-construction job",
    actions: { created: "was created", updated: "had its details changed", status_changed: "moved to another phase or status", archived: "was archived" },
  },
  bid: {
    graphqlType: "Bid",
    label: "a bid to a builder",
    actions: { created: "was created", updated: "had its details or line items changed", status_changed: "changed status", archived: "was archived" },
  },
  service_call: {
    graphqlType: "ServiceCall",
    label: "a residential service call",
    actions: { created: "was taken", updated: "had its details changed", status_changed: "changed status", archived: "was archived" },
  },
  builder: { graphqlType: "Builder", label: "a home builder (shared by every tenant)", actions: { created: "was added", updated: "was changed", archived: "was archived" } },
  tenant_config: { graphqlType: "TenantConfig", label: "the tenant's configuration", actions: { updated: "was changed" } },
  webhook_endpoint: { graphqlType: "WebhookEndpoint", label: "a webhook endpoint", actions: {} },
  marketing_post: { graphqlType: "MarketingPost", label: "a marketing post", actions: {} },
  channel_account: { graphqlType: "ChannelAccount", label: "a marketing channel account", actions: {} },
};

/** The marketing module's events (marketing/*.ts); their payloads are the GraphQL types, so sealed tokens never appear. */
const marketingEvents: Array<{ type: string; entityType: string; description: string }> = [
  { type: "marketing_post.created", entityType: "marketing_post", description: "A marketing post was created (a draft, or scheduled)." },
  { type: "marketing_post.updated", entityType: "marketing_post", description: "A draft or scheduled marketing post was edited." },
  { type: "marketing_post.cancelled", entityType: "marketing_post", description: "A marketing post was cancelled before it was published." },
  { type: "marketing_post.status_changed", entityType: "marketing_post", description: "One channel of a marketing post finished (or was retried) while others are still pending." },
  { type: "marketing_post.published", entityType: "marketing_post", description: "A marketing post was published on every channel." },
  { type: "marketing_post.partially_published", entityType: "marketing_post", description: "A marketing post finished: published on some channels, failed on others." },
  { type: "marketing_post.failed", entityType: "marketing_post", description: "A marketing post failed on every channel." },
  { type: "channel_account.connected", entityType: "channel_account", description: "A channel account (Facebook Page, Instagram account, Google Business Profile location) was connected or reconnected." },
  { type: "channel_account.needs_reconnect", entityType: "channel_account", description: "The platform refused a channel account's tokens (expired, revoked, refresh failed, deauthorized): it must be connected again." },
  { type: "channel_account.disconnected", entityType: "channel_account", description: "A channel account was disconnected." },
  { type: "channel_account.data_deleted", entityType: "channel_account", description: "The person whose consent connected a channel account asked the platform (Meta's data deletion request) for their data to be deleted: its tokens and their platform user id were erased and it is DISCONNECTED (`lastError` carries the confirmation code)." },
  { type: "channel_account.notified", entityType: "channel_account", description: "The platform notified about a channel account through its webhooks (a Page's feed or comments, an Instagram mention, a Business Profile review): `lastNotification` says what, `lastNotifiedAt` when." },
  { type: "channel_account.updated", entityType: "channel_account", description: "A channel account's circuit breaker changed state (`breakerState`)." },
];

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

/** One entry of the catalog: what partners subscribe to, and the GraphQL type its `data.object` is (null: the test event). */
export interface CatalogEntry extends EventTypeDefinition {
  version: number;
  entityType: string | null;
  graphqlType: string | null;
}

/**
 * The catalog types one domain event is sent as: its own type when the catalog has it, then the status alias of
 * its transition (`bid.status_changed` to WON is also `bid.won`). Internal events (resends, replays) map to none.
 */
export function catalogTypesFor(event: Pick<DomainEvent, "type" | "entityType" | "action" | "after">): string[] {
  const types = isCatalogType(event.type) ? [event.type] : [];
  if (event.action === "status_changed") {
    const status = (event.after as { status?: unknown } | null)?.status;
    for (const alias of statusAliases) if (alias.entityType === event.entityType && alias.status === status) types.push(alias.type);
  }
  return types;
}

function buildCatalog(): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  const entry = (name: string, description: string, entityType: string | null): CatalogEntry => ({
    name,
    description,
    version: PAYLOAD_VERSION,
    entityType,
    graphqlType: entityType ? entities[entityType]!.graphqlType : null,
  });
  for (const [entityType, entity] of Object.entries(entities)) {
    for (const [action, verb] of Object.entries(entity.actions)) out.push(entry(`${entityType}.${action}`, `${capitalize(entity.label)} ${verb}.`, entityType));
  }
  for (const alias of statusAliases) out.push(entry(alias.type, `${alias.description} Sent in addition to \`${alias.entityType}.status_changed\`.`, alias.entityType));
  for (const [name, description] of Object.entries(endpointEvents)) out.push(entry(name, description, "webhook_endpoint"));
  for (const e of marketingEvents) out.push(entry(e.type, e.description, e.entityType));
  out.push(entry(TEST_EVENT_TYPE, "A test event sent by sendTestWebhook to one endpoint, whatever its filter.", null));
  return out;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Every event type partners can receive. Their payload schemas and examples: `catalog-schemas.ts`. */
export const eventCatalog: readonly CatalogEntry[] = buildCatalog();

const catalogNames = new Set(eventCatalog.map((e) => e.name));
export const isCatalogType = (type: string) => catalogNames.has(type);

/** The GraphQL type of an entity type's payloads, or undefined when it has none in the catalog. */
export const graphqlTypeOf = (entityType: string): string | undefined => entities[entityType]?.graphqlType;

/**
 * Whether an endpoint filter pattern takes an event type: the same patterns as the subscriptions' `types`, an exact
 * type (`job.status_changed`) or a whole entity (`job.*`).
 */
export const patternMatches = (pattern: string, type: string) => pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1)));

/** Filter patterns that name nothing in the catalog (an unknown type, or a `x.*` no type starts with). `webhook.test` is never filtered. */
export function unknownPatterns(patterns: readonly string[]): string[] {
  const filterable = eventCatalog.filter((e) => e.name !== TEST_EVENT_TYPE);
  return patterns.filter((p) => p === TEST_EVENT_TYPE || !filterable.some((e) => patternMatches(p, e.name)));
}

/** The concrete catalog types a filter takes (for Svix, whose filters are exact types). */
export const expandPatterns = (patterns: readonly string[]): string[] =>
  eventCatalog.filter((e) => e.name !== TEST_EVENT_TYPE && patterns.some((p) => patternMatches(p, e.name))).map((e) => e.name);
