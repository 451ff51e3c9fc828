// The live-event layer every domain's subscriptions share: the Subscription root, the ChangeEvent interface and one
// change type per entity, the filters (event types, a column before or after the change), and liveEvents, the one way
// a subscription reads its tenant's committed changes. Each domain's own subscription fields live in its folder
// (jobs/subscriptions.ts, ...); tenantEvents, which spans every domain, is here.
import type { Context } from "../context.ts";
import { unauthenticated } from "../errors.ts";
import type { DomainEvent, EntityType, EventActor } from "../events/domain-event.ts";
import { pubsub, tenantTopicFor, topicFor, type DomainTopic, type TenantTopic } from "../events/pubsub.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import { patternMatches } from "../webhooks/catalog.ts";
import { builder } from "./builder.ts";
import { entityKinds, nodeTypeOf } from "./entity-kinds.ts";

builder.subscriptionType({
  description:
    "Live updates over graphql-ws (`ws://<host>/graphql`), fed by committed changes only. Delivery is at-most-once to a live " +
    "socket: after a reconnect, catch up with the list queries' `updatedAfter` filter (with `includeArchived: true`), " +
    "passing the latest `updatedAt` you hold, then subscribe again.",
});

const EventActorRef = builder.objectRef<EventActor>("EventActor").implement({
  description: "Who made a change.",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "`user`, `api_key` or `system`." }),
    id: t.exposeString("id", { nullable: true, description: "The user's or API key's id (null for the system)." }),
    label: t.exposeString("label", { nullable: true, description: "A readable name: the user's email, the key's name, the system job's name." }),
  }),
});

export const ChangeEvent = builder.interfaceRef<DomainEvent>("ChangeEvent").implement({
  description: "A committed change, delivered live to the subscribers of its tenant.",
  fields: (t) => ({
    eventId: t.exposeID("id", { description: "The change's unique id (also the idempotency key of its webhook deliveries)." }),
    type: t.exposeString("type", { description: "The event type, `<entity>.<action>`: `job.created`, `job.status_changed`, ..." }),
    occurredAt: t.field({ type: "DateTime", description: "When the change was made.", resolve: (e) => new Date(e.occurredAt) }),
    actor: t.field({ type: EventActorRef, nullable: true, description: "Who made the change (null when unknown).", resolve: (e) => e.actor }),
  }),
});

type Model = "Job" | "Bid" | "ServiceCall" | "Builder";
const scalarFields: Record<string, string[]> = {};
for (const [name, model] of Object.entries(getDatamodel().datamodel.models))
  scalarFields[name] = model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum").map((f) => f.name);

/**
 * The changed row, for the subscriber's selection: the event's own `after` row when the selection needs only its
 * columns (no query at all, whatever the number of subscribers), else one query by id on the subscriber's
 * tenant-scoped client. Type and field authorization apply as in queries either way.
 */
function changedRow(ctx: Context, model: Model, event: DomainEvent, query: { include?: object; select?: object }) {
  const after = event.after as Record<string, unknown> | null;
  const columns = [...Object.entries(query.select ?? {}), ...Object.entries(query.include ?? {})];
  const needsQuery = columns.some(([field, wanted]) => wanted !== true || !scalarFields[model]!.includes(field));
  if (after && !needsQuery && scalarFields[model]!.every((f) => f in after)) return after as never;
  const delegate = (ctx.db as unknown as Record<string, { findUnique(args: object): Promise<unknown> }>)[model[0]!.toLowerCase() + model.slice(1)]!;
  return delegate.findUnique({ ...query, where: { id: event.entityId } }) as never;
}

function changeType(name: string, field: string, model: Model, what: string) {
  return builder.objectRef<DomainEvent>(name).implement({
    description: `A committed change to a ${what}.`,
    interfaces: [ChangeEvent],
    fields: (t) =>
      ({
        [field]: t.prismaField({
          type: model,
          nullable: true,
          description: `The ${what} as this change left it, with the fields you select (null if you can no longer see it).`,
          resolve: (query, event, _args, ctx) => changedRow(ctx, model, event, query),
        }),
      }) as never,
  });
}

export const JobChange = changeType("JobChange", "job", "Job", "job");
export const BidChange = changeType("BidChange", "bid", "Bid", "bid");
export const ServiceCallChange = changeType("ServiceCallChange", "serviceCall", "ServiceCall", "service call");
export const BuilderChange = changeType("BuilderChange", "builder", "Builder", "builder");

const TenantEvent = builder.objectRef<DomainEvent>("TenantEvent").implement({
  description: "A committed change to any entity of the tenant.",
  interfaces: [ChangeEvent],
  fields: (t) => ({
    entityType: t.exposeString("entityType", { description: "The kind of entity changed (snake_case): `job`, `bid`, `service_call`, `builder`, `tenant_config`, ..." }),
    node: t.node({
      description: "The changed object, when its kind is a node, read now with the fields you select (null otherwise, or if you can no longer see it).",
      id: (e) => {
        const type = nodeTypeOf(e.entityType);
        return type ? { type, id: e.entityId } : null;
      },
    }),
  }),
});

export const typesArg = "Only events of these types: exact (`job.status_changed`) or a whole entity (`job.*`). Default: all.";

export const typeMatches = (types: readonly string[] | null | undefined) => (e: DomainEvent) =>
  !types?.length || types.some((pattern) => patternMatches(pattern, e.type));

/** Whether the entity's value of `column` before or after the change is one of `values` (so leaving a status counts). */
export const either = (e: DomainEvent, column: string, values: readonly unknown[] | null | undefined) =>
  !values?.length || [e.before, e.after].some((row) => !!row && values.includes((row as Record<string, unknown>)[column]));

/** `events` of the acting tenant's `topic` that pass `keep`, until the client stops or falls too far behind. */
export function liveEvents(ctx: Context, topic: (tenantId: string) => DomainTopic | TenantTopic, keep: (e: DomainEvent) => boolean): AsyncIterableIterator<DomainEvent> {
  if (!ctx.tenant) throw unauthenticated("subscriptions need an acting tenant");
  // the subscription filters as events arrive (events/pubsub.ts): its own iterator is what graphql-js consumes
  return pubsub.subscribe(topic(ctx.tenant.id), { maxQueued: ctx.services.env.WS_MAX_QUEUED_EVENTS, keep });
}

export const catchUp = (query: string) =>
  ` Delivery is at-most-once: after a reconnect, catch up with \`${query}(filter: { updatedAfter, includeArchived: true })\`.`;

builder.subscriptionField("tenantEvents", (t) =>
  t.field({
    type: TenantEvent,
    description:
      "Every committed change in the acting tenant, of the kinds you may read, filtered by type. Delivery is at-most-once: " +
      "after a reconnect, catch up with each list query's `updatedAfter` filter.",
    authScopes: { $all: { tenant: true, authenticated: true } },
    args: { types: t.arg.stringList({ description: typesArg }) },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, tenantTopicFor, (e) => {
        const kind = entityKinds[e.entityType] as (typeof entityKinds)[EntityType] | undefined;
        return !!kind && ctx.permissions.has(kind.read) && typeMatches(args.types)(e);
      }),
    resolve: (event) => event,
  }),
);
