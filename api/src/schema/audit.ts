import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import "../audit/hook.ts";
import { badInput } from "../errors.ts";
import type { EntityType } from "../events/domain-event.ts";
import type { AuditEvent, Prisma } from "../generated/prisma/client.ts";
import type { Context } from "../context.ts";
import { trailLoaders, type TrailFilter, type TrailKey } from "../audit/trail-loader.ts";
import { builder, type InputFields } from "./builder.ts";
import { entityKinds, nodeTypeNames, nodeTypeOf } from "./entity-kinds.ts";
import { DEFAULT_PAGE_SIZE } from "./plugins/connection-rules.ts";

/** Owners and admins (and API keys with the `read:audit` scope), in the acting tenant. */
const authScopes = { can: "audit:read" } as const;

export const newestFirst: Prisma.AuditEventOrderByWithRelationInput[] = [{ changedAt: "desc" }, { id: "desc" }];

const AuditActor = builder.objectRef<AuditEvent>("AuditActor").implement({
  description: "Who made an audited change.",
  fields: (t) => ({
    kind: t.exposeString("actorKind", { description: "`user`, `api_key` or `system`." }),
    id: t.exposeString("actorId", { nullable: true, description: "The user's or API key's id (null for the system)." }),
    label: t.exposeString("actorLabel", { nullable: true, description: "A readable name of the actor at the time (email, key name)." }),
    onBehalfOf: t.exposeString("onBehalfOf", { nullable: true, description: "Whom the actor acted for, when that is someone else." }),
  }),
});

const json = (value: unknown) => (value == null ? null : JSON.stringify(value));

/** The top-level keys whose values differ between two snapshots (every key of a create's or delete's one side). */
export function changedFields(before: unknown, after: unknown): string[] {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

const AuditEventRef = builder.prismaObject("AuditEvent", {
  description: "One audited change: who changed which entity, how, and its values before and after (secret fields are never stored).",
  authScopes,
  fields: (t) => ({
    id: t.exposeID("id", { description: "The audit event's id (the id of the domain event and of its webhook)." }),
    changedAt: t.expose("changedAt", { type: "DateTime", description: "When the change was made." }),
    actor: t.field({ type: AuditActor, description: "Who made the change.", resolve: (row) => row }),
    action: t.exposeString("action", { description: "What was done: `created`, `updated`, `status_changed`, `archived`, ..." }),
    eventType: t.exposeString("eventType", { description: "The domain event type, e.g. `job.status_changed`." }),
    entityType: t.exposeString("entityType", { description: "The kind of entity changed (snake_case): `job`, `bid`, `service_call`, `builder`, `tenant_config`, ..." }),
    entityId: t.exposeString("entityId", { description: "The changed entity's database id." }),
    entityNodeId: t.field({
      type: "ID",
      nullable: true,
      description: "The changed entity's global ID, for `node(id:)` (null for kinds that are not nodes).",
      resolve: (row) => {
        const type = nodeTypeOf(row.entityType);
        return type ? encodeGlobalID(type, row.entityId) : null;
      },
    }),
    before: t.string({ nullable: true, description: "The entity before the change, as a JSON document (null for a create).", resolve: (row) => json(row.before) }),
    after: t.string({ nullable: true, description: "The entity after the change, as a JSON document.", resolve: (row) => json(row.after) }),
    changedFields: t.stringList({ description: "The fields whose values differ between `before` and `after`, sorted.", resolve: (row) => changedFields(row.before, row.after) }),
    requestId: t.exposeString("requestId", { nullable: true, description: "The id of the request that made the change (its X-Request-Id)." }),
    ip: t.exposeString("ip", { nullable: true, description: "The client's IP address." }),
    userAgent: t.exposeString("userAgent", { nullable: true, description: "The client's User-Agent." }),
  }),
});

/** The conditions `auditEvents` and `auditTrail` share: who, what, when. */
const trailFilterFields = (t: InputFields) => ({
  actorId: t.string({ description: "Only changes made by this user or API key (its id)." }),
  action: t.string({ description: "Only this action, e.g. `status_changed`." }),
  from: t.field({ type: "DateTime", description: "Only changes at or after this instant." }),
  to: t.field({ type: "DateTime", description: "Only changes at or before this instant." }),
});

const AuditEventFilter = builder.inputType("AuditEventFilter", {
  description: "Which audit events to list; all conditions must hold.",
  fields: (t) => ({
    entityType: t.string({ description: "Only changes of this kind of entity (snake_case, e.g. `job`, `service_call`)." }),
    entityId: t.string({ description: "Only changes of this entity: its global ID or its database id." }),
    ...trailFilterFields(t),
  }),
});

const AuditTrailFilter = builder.inputType("AuditTrailFilter", {
  description: "Which of an object's audit events to list; all conditions must hold.",
  fields: (t) => trailFilterFields(t),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A database id as is; a global ID (`base64("Job:<id>")`) of a node type decoded to its database id. */
export function entityIdOf(value: string): string {
  if (UUID.test(value)) return value;
  try {
    const { typename, id } = decodeGlobalID(value);
    if (id && nodeTypeNames.includes(typename)) return id;
  } catch {
    /* not a global ID */
  }
  return value;
}

export type AuditFilter = typeof AuditEventFilter.$inferInput | null | undefined;
export function auditWhere(f: AuditFilter): Prisma.AuditEventWhereInput {
  checkRange(f);
  return {
    ...(f?.entityType ? { entityType: f.entityType } : {}),
    ...(f?.entityId ? { entityId: entityIdOf(f.entityId) } : {}),
    ...(f?.actorId ? { actorId: f.actorId } : {}),
    ...(f?.action ? { action: f.action } : {}),
    ...(f?.from || f?.to ? { changedAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
  };
}

function checkRange(f: TrailFilter | null | undefined) {
  if (f?.from && f.to && f.from > f.to) throw badInput("must not be after `to`", ["filter", "from"]);
}

const AuditEventConnection = builder.connectionObject(
  {
    type: AuditEventRef,
    name: "AuditEventConnection",
    description: "A page of audit events, newest first.",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many audit events match the filter, across all pages.",
        resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount(),
      }),
    }),
  },
  { name: "AuditEventEdge", description: "An audit event in a page." },
);

/** An opaque keyset cursor: the row's (changedAt, id), the connection's sort key. */
const cursorOf = (row: AuditEvent) => Buffer.from(`${row.changedAt.toISOString()}|${row.id}`).toString("base64url");
function parseCursor(cursor: string): { changedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const changedAt = new Date(at ?? "");
  if (!id || !UUID.test(id) || Number.isNaN(changedAt.getTime())) throw badInput("is not a valid cursor of this connection", ["after"]);
  return { changedAt, id };
}

interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** The page size asked for: audit connections page forward only (`first`/`after`), newest first. */
function pageSize(args: PageArgs): number {
  if (args.last != null || args.before != null)
    throw badInput("audit events page forward only, newest first: use `first` and `after`", [args.last != null ? "last" : "before"]);
  return args.first ?? DEFAULT_PAGE_SIZE;
}

/** A connection from up to `take + 1` rows, newest first (the extra row only tells that a next page exists). */
function connectionOf(rows: AuditEvent[], take: number, hasPreviousPage: boolean, totalCount: () => Promise<number>) {
  const edges = rows.slice(0, take).map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > take, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

/**
 * One page of audit events matching `where`, newest first, by keyset (`changedAt`, `id`): the page's SQL is an index
 * range scan whatever the page number. Forward only (`first`/`after`); `totalCount` runs only when selected.
 */
export async function auditPage(ctx: Context, where: Prisma.AuditEventWhereInput, args: PageArgs) {
  const take = pageSize(args);
  const after = args.after ? parseCursor(args.after) : null;
  const keyset: Prisma.AuditEventWhereInput = after
    ? { AND: [where, { OR: [{ changedAt: { lt: after.changedAt } }, { changedAt: after.changedAt, id: { lt: after.id } }] }] }
    : where;
  const rows = take === 0 ? [] : await ctx.db.auditEvent.findMany({ where: keyset, orderBy: newestFirst, take: take + 1 });
  return connectionOf(rows, take, after !== null, () => ctx.db.auditEvent.count({ where }));
}

/**
 * An object's trail. Its first page goes through the operation's batchers (audit/trail-loader.ts), so `auditTrail`
 * on every object of a list costs one statement for all pages and one for all counts; later pages (`after`) are one
 * object's own keyset query.
 */
function trailPage(ctx: Context, key: TrailKey, args: PageArgs) {
  checkRange(key.filter);
  if (args.after) return auditPage(ctx, auditWhere({ ...key.filter, entityType: key.entityType, entityId: key.entityId }), args);
  const take = pageSize(args);
  const loaders = trailLoaders(ctx);
  const rows = take === 0 ? Promise.resolve([]) : loaders.pages.load({ ...key, limit: take + 1 });
  return rows.then((rows) => connectionOf(rows, take, false, () => loaders.counts.load(key)));
}

builder.queryField("auditEvents", (t) =>
  t.field({
    type: AuditEventConnection,
    description: "The acting tenant's audit trail, newest first: every change, who made it, and the values before and after.",
    authScopes,
    args: { ...t.arg.connectionArgs(), filter: t.arg({ type: AuditEventFilter, description: "Which events." }) },
    resolve: (_root, args, ctx) => auditPage(ctx, auditWhere(args.filter), args),
  }),
);

for (const [entityType, { model }] of Object.entries(entityKinds)) {
  if (!model) continue;
  builder.prismaObjectField(model, "auditTrail", (t) =>
    t.field({
      type: AuditEventConnection,
      nullable: true,
      description: "Every audited change of this object made by the acting tenant, newest first (null, with a FORBIDDEN error, without the audit:read permission).",
      authScopes,
      args: { ...t.arg.connectionArgs(), filter: t.arg({ type: AuditTrailFilter, description: "Which of its events." }) },
      resolve: (parent, args, ctx) => trailPage(ctx, { entityType, entityId: (parent as { id: string }).id, filter: args.filter ?? {} }, args),
    }),
  );
}
