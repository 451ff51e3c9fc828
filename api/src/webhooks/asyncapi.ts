import { detailedCatalog } from "./catalog-schemas.ts";
import { PAYLOAD_VERSION } from "./catalog.ts";

/** Where the API serves the document (server.ts), and its committed copy at the repository root. */
export const CATALOG_PATH = "/webhooks/catalog.json";
export const CATALOG_FILE = "webhooks.asyncapi.json";

const channelId = (type: string) => type.replace(/[^a-zA-Z0-9]+/g, "_");

const contract = [
  "Every webhook is an HTTP POST of a JSON envelope `{ id, type, version, timestamp, tenantId, data }`, signed with the",
  "Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers; verify with the `svix` or",
  "`standardwebhooks` library and the endpoint's `whsec_` secret).",
  "",
  "What you can rely on:",
  "- `data.object` is the entity exactly as the GraphQL API returns it for the selection in `x-graphql-selection`:",
  "  global IDs (pass them to `node(id:)`), enum values and scalar formats as in schema.graphql, related objects as",
  "  `{ \"id\": <global ID> }`. `data.previous` holds the previous values of the fields the change modified.",
  `- \`version\` (now ${PAYLOAD_VERSION}) is the payload version of the type: within a version, fields are only added`,
  "  (as they are added to the GraphQL type), never removed, renamed or retyped; a breaking change is a new version.",
  "  Version 2 is the API's vocabulary; version 1 (until December 2026) carried database rows (UUIDs, lower-case",
  "  enum values, internal columns such as `tenantId`) and is no longer sent: a receiver written for it must move",
  "  to global IDs and the schema's enum values.",
  "- `id` is unique per event and type, and the same on every retry: deduplicate on it.",
  "- Per endpoint, events arrive in the order they happened; a failing event holds that endpoint's later ones until",
  "  it succeeds or exhausts its retries. Other endpoints are not held.",
  "- A payload above the size bound arrives with `data.truncated: true` and `data.object: null`: read it with `node(id:)`.",
].join("\n");

/**
 * The AsyncAPI 3.0 document of the event catalog: one channel, message and receive operation per event type, with
 * the payload's JSON Schema (the same one `webhookEventTypes` returns), an example and the GraphQL selection.
 * Deterministic: the committed `webhooks.asyncapi.json` is exactly this (a test fails when it is stale).
 */
export async function asyncApiDocument(): Promise<Record<string, unknown>> {
  const catalog = await detailedCatalog();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const entry of catalog) {
    const id = channelId(entry.name);
    const { $schema: _ignored, ...payload } = entry.schema;
    channels[id] = {
      address: entry.name,
      description: entry.description,
      messages: {
        [id]: {
          name: entry.name,
          title: entry.name,
          summary: entry.description,
          contentType: "application/json",
          payload,
          examples: [{ name: `${entry.name} example`, payload: entry.example }],
          ...(entry.selection ? { "x-graphql-type": entry.graphqlType, "x-graphql-selection": entry.selection } : {}),
          "x-payload-version": entry.version,
        },
      },
    };
    operations[`receive_${id}`] = { action: "receive", channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/${id}` }] };
  }
  return {
    asyncapi: "3.0.0",
    info: { title: "H2O-ACP webhooks", version: String(PAYLOAD_VERSION), description: contract },
    defaultContentType: "application/json",
    channels,
    operations,
  };
}

/** The document as committed and served: two-space JSON with a final newline. */
export async function printAsyncApi(): Promise<string> {
  return `${JSON.stringify(await asyncApiDocument(), null, 2)}\n`;
}

let served: Promise<string> | undefined;

/**
 * Answers `GET /webhooks/catalog.json` with the AsyncAPI document (public, no credentials: it holds no tenant data;
 * readable cross-origin so tools can load it). The document is built once per process.
 */
export async function serveCatalog(req: { method?: string }, res: import("node:http").ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ message: "use GET", extensions: { code: "METHOD_NOT_ALLOWED" } }] }));
    return;
  }
  served ??= printAsyncApi();
  const body = await served;
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" });
  res.end(req.method === "HEAD" ? undefined : body);
}
