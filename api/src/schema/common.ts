import type { ObjectRef } from "@pothos/core";
import { queryFromInfo } from "@pothos/plugin-prisma";
import type { Context } from "../context.ts";
import { badInput } from "../errors.ts";
import { builder, type Types } from "./builder.ts";

/** Shared inputs, enums and helpers of the domain schema files. */

/** The domain's enums: GraphQL values are the database values upper-cased, each described. */
export function describedEnum<V extends string>(name: string, description: string, values: Record<V, V>, descriptions: Record<V, string>) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(
      (Object.values(values) as V[]).map((v) => [v.toUpperCase(), { value: v, description: descriptions[v] }]),
    ) as Record<Uppercase<V>, { value: V; description: string }>,
  });
}

export const SortDirection = builder.enumType("SortDirection", {
  description: "Ascending or descending order.",
  values: {
    ASC: { value: "asc", description: "Smallest, earliest or first first." },
    DESC: { value: "desc", description: "Largest, latest or last first." },
  } as const,
});

export const DateRange = builder.inputType("DateRange", {
  description: "An inclusive range of calendar dates; either end may be left open.",
  fields: (t) => ({
    from: t.field({ type: "Date", description: "On or after this date." }),
    to: t.field({ type: "Date", description: "On or before this date." }),
  }),
});

export const DateTimeRange = builder.inputType("DateTimeRange", {
  description: "An inclusive range of instants; either end may be left open.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", description: "At or after this instant." }),
    to: t.field({ type: "DateTime", description: "At or before this instant." }),
  }),
});

export const rangeFilter = (range: { from?: Date | null; to?: Date | null } | null | undefined) =>
  range && (range.from || range.to) ? { ...(range.from ? { gte: range.from } : {}), ...(range.to ? { lte: range.to } : {}) } : undefined;

/**
 * Case-insensitive "contains" over several text columns (btree indexes do not serve it; it runs within the tenant's
 * rows). The text is found as typed: Prisma puts `contains` between two `%` of a LIKE pattern without escaping it, so
 * LIKE's own `%`, `_` and `\` are escaped here (a search for "100%" finds "100%", not "1000").
 */
export function textSearch<F extends string>(fields: readonly F[], search: string | null | undefined) {
  const q = search?.trim();
  if (!q) return undefined;
  const literal = q.replace(/[\\%_]/g, (c) => `\\${c}`);
  return fields.map((f) => ({ [f]: { contains: literal, mode: "insensitive" as const } })) as Array<Record<F, { contains: string; mode: "insensitive" }>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** For prismaNode `findUnique`: a malformed id finds nothing instead of failing the query. */
export const whereId = (id: string) => ({ id: UUID.test(id) ? id : NIL_UUID });

/** The database id inside a decoded global ID; BAD_USER_INPUT (at `field`) when it cannot be one. */
export function idOf(globalId: { id: string }, field: string[]): string {
  if (!UUID.test(globalId.id)) throw badInput("is not a valid id", field);
  return globalId.id;
}

/** The `updatedAfter` argument every connection has: rows changed strictly after an instant (catch-up after a reconnect). */
export const updatedAfterDescription = "Only rows changed after this instant (for catching up after a dropped live connection).";

/**
 * The columns an update input sets: omitted fields (undefined) are left out, null clears a column, and a null for
 * a `required` column is BAD_USER_INPUT at `["input", key]`.
 */
export function patchOf<I extends object, K extends keyof I & string>(input: I, keys: readonly K[], required: readonly K[] = []): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of keys) {
    const value = input[key];
    if (value === undefined) continue;
    if (value === null && required.includes(key)) throw badInput("cannot be cleared", ["input", key]);
    data[key] = value;
  }
  return data;
}

/** Soft-deleted rows are hidden unless asked for. */
export const archivedFilter = (includeArchived: boolean | null | undefined) => (includeArchived ? {} : { archivedAt: null });

/**
 * A mutation's payload type: one field, `key`, holding the changed object (`CreateJobPayload { job }`), as the
 * mutation stored it: a whole row (every column; the pipeline needs it for the audit and the event). Resolving the
 * field plans the client's selection of it (plugin-prisma's `queryFromInfo`), which tells the object's fields that
 * their columns are on the row, so they are not read again; relations the row lacks are loaded as usual.
 */
export function payloadType<Key extends string, Shape extends object>(name: string, key: Key, type: ObjectRef<Types, Shape>, what: string) {
  return builder.objectRef<Record<Key, Shape>>(name).implement({
    description: `The result of ${name.replace(/Payload$/, "").replace(/^./, (c) => c.toLowerCase())}.`,
    fields: (t) =>
      ({
        [key]: t.field({
          type,
          description: `The ${what} after the change.`,
          resolve: (parent, _args, context, info) => {
            queryFromInfo({ context, info });
            return parent[key] as never;
          },
        }),
      }) as never,
  });
}

/** The entities with per-tenant counters (prisma/schema/entity-count.prisma). */
type CountedModel = "Job" | "Bid" | "ServiceCall";
const exactCount: Record<CountedModel, (ctx: Context, where: object) => Promise<number>> = {
  Job: (ctx, where) => ctx.db.job.count({ where }),
  Bid: (ctx, where) => ctx.db.bid.count({ where }),
  ServiceCall: (ctx, where) => ctx.db.serviceCall.count({ where }),
};

/**
 * The exact `totalCount` of a connection of `model` whose page uses `where`. When the filter is one the counters
 * are keyed by (archived or not, a list of statuses and, for service calls, a list of priorities: any of
 * `{ archivedAt: null }`, `{ status: { in } }`, `{ priority: { in } }`, or nothing), it is the sum of the acting
 * tenant's counters, kept in the same transaction as every write; any other filter is counted with count(*). Call
 * it only when `totalCount` is selected (Pothos does: its totalCount callback runs only then).
 */
export async function totalCountOf(ctx: Context, model: CountedModel, where: Record<string, unknown>): Promise<number> {
  const key = counterKey(model, where);
  if (!key) return exactCount[model](ctx, where);
  const { _sum } = await ctx.db.entityCount.aggregate({ _sum: { rows: true }, where: { entity: model, ...key } });
  return _sum.rows ?? 0;
}

/** The columns the counters are keyed by, besides archived: a row's status, and its priority where it has one. */
const counterColumns: Record<CountedModel, ReadonlySet<string>> = {
  Job: new Set(["status"]),
  Bid: new Set(["status"]),
  ServiceCall: new Set(["status", "priority"]),
};

type CounterKey = { archived?: false } & { [column: string]: { in: string[] } | false | undefined };

/** The counter filter equal to a connection's `where`, or null when the counters do not cover it. */
function counterKey(model: CountedModel, where: Record<string, unknown>): CounterKey | null {
  const key: CounterKey = {};
  for (const [field, value] of Object.entries(where)) {
    if (field === "archivedAt" && value === null) key.archived = false;
    else if (counterColumns[model].has(field) && Array.isArray((value as { in?: unknown } | null)?.in) && Object.keys(value as object).length === 1)
      key[field] = { in: (value as { in: string[] }).in };
    else return null;
  }
  return key;
}

/** The acting tenant's rows of `model` (archived ones left out) per status, from the counters: one grouped read of at most a few dozen rows. */
export async function countsByStatus(ctx: Context, model: CountedModel): Promise<Map<string, number>> {
  const groups = await ctx.db.entityCount.groupBy({ by: ["status"], where: { entity: model, archived: false }, _sum: { rows: true } });
  return new Map(groups.map((g) => [g.status, g._sum.rows ?? 0]));
}
