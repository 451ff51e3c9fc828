import { encodeGlobalID } from "@pothos/plugin-relay";
import type { GraphQLSchema } from "graphql";
import type { DomainEvent } from "../events/domain-event.ts";
import { exampleRows } from "./catalog-examples.ts";
import { eventCatalog, graphqlTypeOf, PAYLOAD_VERSION, TEST_EVENT_TYPE, type CatalogEntry } from "./catalog.ts";
import { createEnvelope, type WebhookEnvelope } from "./envelope.ts";
import { payloadShape, type PayloadShape } from "./vocabulary.ts";

type JsonSchema = Record<string, unknown>;
type Row = Record<string, unknown>;

/** A catalog entry with what is derived from the GraphQL schema: the payload's JSON Schema, selection and example. */
export interface DetailedCatalogEntry extends CatalogEntry {
  /** JSON Schema (2020-12) of the whole body (the envelope), `data` included. */
  schema: JsonSchema;
  /** The GraphQL selection `data.object` answers, on `graphqlType` (`node(id:) { ... on Job { <selection> } }`). */
  selection: string | null;
  example: WebhookEnvelope;
}

/** Types without a global ID of their own: their entityId is their owner's (a tenant's configuration: the tenant). */
const ownerType: Record<string, string> = { TenantConfig: "Tenant" };
const testObjectSchema: JsonSchema = {
  type: "object",
  properties: { endpoint: { type: "object", properties: { id: { type: "string" } }, required: ["id"] }, message: { type: "string" } },
  required: ["endpoint", "message"],
};

let state: Promise<{ schema: GraphQLSchema; shapes: Map<string, PayloadShape> }> | undefined;

/** The built schema, imported when first needed (the schema imports the catalog, so not at module load). */
function load() {
  state ??= import("../schema/index.ts").then(({ schema }) => ({ schema, shapes: new Map<string, PayloadShape>() }));
  return state;
}

async function shapeOf(graphqlType: string): Promise<PayloadShape> {
  const { schema, shapes } = await load();
  let shape = shapes.get(graphqlType);
  if (!shape) shapes.set(graphqlType, (shape = payloadShape(schema, graphqlType)));
  return shape;
}

/** The entity's global ID as `node(id:)` takes it (for a type without one, its owner's). */
export function globalIdOf(entityType: string, id: string): string {
  const type = graphqlTypeOf(entityType);
  return type ? encodeGlobalID(ownerType[type] ?? type, id) : id;
}

/**
 * The `data` of a payload: `object` is the entity after the change (before it, for a deletion) and `previous` the
 * values the change modified, both in the API's vocabulary (vocabulary.ts); `entityId` is the global ID.
 * Reads nothing but the event's rows. Secrets never appear: they are not fields of the GraphQL types.
 */
export async function payloadData(event: Pick<DomainEvent, "type" | "before" | "after" | "entityType" | "entityId" | "action">) {
  const base = { entityType: event.entityType, entityId: globalIdOf(event.entityType, event.entityId), action: event.action };
  if (event.type === TEST_EVENT_TYPE) {
    const after = event.after as { endpointId: string; message: string };
    return { ...base, entityId: encodeGlobalID("WebhookMessage", event.entityId), object: { endpoint: { id: encodeGlobalID("WebhookEndpoint", after.endpointId) }, message: after.message }, previous: null, truncated: false };
  }
  const type = graphqlTypeOf(event.entityType);
  if (!type) throw new Error(`webhook catalog: no payload type for ${event.entityType}`);
  const shape = await shapeOf(type);
  const before = event.before ? await shape.serialize(event.before as Row) : null;
  const after = event.after ? await shape.serialize(event.after as Row) : null;
  let previous: Row | null = null;
  if (before && after) {
    previous = {};
    for (const key of Object.keys(before)) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return { ...base, object: after ?? before, previous, truncated: false };
}

/** What is sent instead when a payload exceeds WEBHOOK_MAX_PAYLOAD_BYTES: the entity's global ID, `truncated: true`. */
export function referenceData(event: Pick<DomainEvent, "entityType" | "entityId" | "action">) {
  return { entityType: event.entityType, entityId: globalIdOf(event.entityType, event.entityId), action: event.action, object: null, previous: null, truncated: true };
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
      tenantId: { type: "string", description: "The tenant's global ID." },
      data: {
        type: "object",
        properties: {
          entityType: { type: "string" },
          entityId: { type: "string", description: "The entity's global ID (node(id:)); the tenant's for its configuration." },
          action: { type: "string" },
          object: { anyOf: [object, { type: "null" }], description: "The entity after the change (before it, for a deletion), as the GraphQL API shows it; null when truncated." },
          previous: { anyOf: [{ type: "object" }, { type: "null" }], description: "The previous values of the fields the change modified (same shapes as in `object`); null for a creation or deletion." },
          truncated: { type: "boolean", description: "True when the payload exceeded the size bound: `object` is null, read it through the API." },
        },
        required: ["entityType", "entityId", "action", "object", "previous", "truncated"],
      },
    },
    required: ["id", "type", "version", "timestamp", "tenantId", "data"],
  };
}

let detailed: Promise<DetailedCatalogEntry[]> | undefined;

/** The whole catalog with schemas, selections and examples; computed once per process. */
export function detailedCatalog(): Promise<DetailedCatalogEntry[]> {
  detailed ??= Promise.all(eventCatalog.map(detail));
  return detailed;
}

async function detail(entry: CatalogEntry): Promise<DetailedCatalogEntry> {
  const shape = entry.graphqlType ? await shapeOf(entry.graphqlType) : null;
  const schema = envelopeSchema(entry.name, shape?.jsonSchema ?? testObjectSchema);
  const row = shape ? exampleRows[shape.typeName] : null;
  if (shape && !row) throw new Error(`webhook catalog: no example row for ${shape.typeName}`);
  const entityType = entry.entityType ?? "webhook_message";
  const after = row ?? { endpointId: exampleRows.WebhookEndpoint!.id, message: "A test event from H2O-ACP." };
  const data = await payloadData({ type: entry.name, entityType: entityType as DomainEvent["entityType"], entityId: String((row ?? exampleRows.WebhookEndpoint!).id), action: "updated", before: null, after });
  const tenantId = encodeGlobalID("Tenant", String(exampleRows.Job!.tenantId));
  const example = createEnvelope({ id: "2b4c6d8e-0f1a-4b3c-8d5e-7f9a1b3c5d7e", type: entry.name, version: PAYLOAD_VERSION, tenantId, timestamp: new Date("2026-12-01T15:04:05.000Z"), data, redact: false });
  return { ...entry, schema, schemas: { [String(PAYLOAD_VERSION)]: schema }, selection: shape?.selection ?? null, example: JSON.parse(JSON.stringify(example)) };
}
