import type { Action } from "../auth/permissions.ts";
import type { EntityType } from "../events/domain-event.ts";
import type PrismaTypes from "../generated/pothos-types.ts";

/**
 * Every kind of entity the mutation pipeline changes: the Prisma model of its GraphQL object type (null when that type
 * is not a Prisma object: such objects have no `auditTrail` field, their audit rows are in `auditEvents`), that type's name
 * when it is a node (fetchable with `node(id:)`, so audit rows and live events can point at it), and the action a
 * subscriber needs to see its events. Typed against EntityType: a new kind of entity does not compile until it is here.
 */
export const entityKinds = {
  job: { model: "Job", node: "Job", read: "job:read" },
  bid: { model: "Bid", node: "Bid", read: "bid:read" },
  service_call: { model: "ServiceCall", node: "ServiceCall", read: "serviceCall:read" },
  builder: { model: "Builder", node: "Builder", read: "builder:read" },
  tenant_config: { model: "TenantConfig", node: null, read: "tenant:read" },
  user: { model: "User", node: null, read: "user:read" },
  membership: { model: "Membership", node: "Member", read: "user:read" },
  api_key: { model: "ApiKey", node: "ApiKey", read: "apiKey:manage" },
  webhook_endpoint: { model: "WebhookEndpoint", node: "WebhookEndpoint", read: "webhook:manage" },
  webhook_message: { model: "WebhookMessage", node: "WebhookMessage", read: "webhook:manage" },
  channel_account: { model: "ChannelAccount", node: "ChannelAccount", read: "marketing:read" },
  marketing_post: { model: "MarketingPost", node: "MarketingPost", read: "marketing:read" },
  worker_job: { model: null, node: null, read: "tenant:configure" }, // graphile-worker's, not a Prisma object
} as const satisfies Record<EntityType, { model: keyof PrismaTypes | null; node: string | null; read: Action }>;

/** The GraphQL node type of an entity kind, or null when its kind is not a node. */
export const nodeTypeOf = (entityType: string): string | null => entityKinds[entityType as EntityType]?.node ?? null;

/** The GraphQL types of the entity kinds that are nodes. */
export const nodeTypeNames: readonly string[] = Object.values(entityKinds).flatMap((k) => (k.node ? [k.node] : []));
