import DataLoader from "dataloader";
import type { Context } from "../context.ts";
import { Prisma, type AuditEvent } from "../generated/prisma/client.ts";

/** What `auditTrail(filter:)` can add to "this object's events". */
export interface TrailFilter {
  actorId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** One object's trail: its kind, its database id and the filter (pages also say how many rows to fetch, newest first). */
export interface TrailKey {
  entityType: string;
  entityId: string;
  filter: TrailFilter;
}

interface TrailLoaders {
  pages: DataLoader<TrailKey & { limit: number }, AuditEvent[]>;
  counts: DataLoader<TrailKey, number>;
}

const perOperation = new WeakMap<Context, TrailLoaders>();

/**
 * The `auditTrail` batchers of one operation (the Context is a fresh object per HTTP request and per WebSocket
 * operation). Loads made in the same tick, e.g. `auditTrail` on each object of a list, become ONE SQL statement per
 * (entity type, filter, limit) for the pages and one for the counts, whatever the list's length. No cache
 * (`cache: false`): a mutation's later selection never sees rows read before it; batching is all they do.
 * Each statement runs like every operation of the request's client, as the application role with the tenant set
 * (row-level security), and names the tenant itself too, so it uses the `(tenantId, entityId, changedAt)` index.
 */
export function trailLoaders(ctx: Context): TrailLoaders {
  let loaders = perOperation.get(ctx);
  if (!loaders) {
    loaders = {
      pages: new DataLoader((keys) => grouped(keys, (k) => `${groupOf(k)}|${k.limit}`, (group) => loadPages(ctx, group)), { cache: false }),
      counts: new DataLoader((keys) => grouped(keys, groupOf, (group) => loadCounts(ctx, group)), { cache: false }),
    };
    perOperation.set(ctx, loaders);
  }
  return loaders;
}

const groupOf = (k: TrailKey) => JSON.stringify([k.entityType, k.filter.actorId ?? null, k.filter.action ?? null, k.filter.from ?? null, k.filter.to ?? null]);

/** Splits a batch into groups that one statement can answer, and puts the answers back in the keys' order. */
async function grouped<K extends TrailKey, V>(keys: readonly K[], groupKey: (k: K) => string, load: (group: K[]) => Promise<Map<string, V>>): Promise<V[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const name = groupKey(key);
    groups.set(name, [...(groups.get(name) ?? []), key]);
  }
  const answers = new Map<K, V>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const byEntity = await load(group);
      for (const key of group) answers.set(key, byEntity.get(key.entityId)!);
    }),
  );
  return keys.map((k) => answers.get(k)!);
}

/** The conditions every row of a group's trails meets: tenant, entity type, filter (the entity ids come apart). */
function conditions(tenantId: string, { entityType, filter }: TrailKey): Prisma.Sql {
  const utc = (at: Date) => Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  return Prisma.join(
    [
      Prisma.sql`a."tenantId" = ${tenantId}::uuid`,
      Prisma.sql`a."entityType" = ${entityType}`,
      ...(filter.actorId ? [Prisma.sql`a."actorId" = ${filter.actorId}`] : []),
      ...(filter.action ? [Prisma.sql`a."action" = ${filter.action}`] : []),
      ...(filter.from ? [Prisma.sql`a."changedAt" >= ${utc(filter.from)}`] : []),
      ...(filter.to ? [Prisma.sql`a."changedAt" <= ${utc(filter.to)}`] : []),
    ],
    " AND ",
  );
}

const idsOf = (group: TrailKey[]) => [...new Set(group.map((k) => k.entityId))];

/** The newest `limit` rows of each entity of the group: one LATERAL index scan per entity, in one statement. */
async function loadPages(ctx: Context, group: Array<TrailKey & { limit: number }>): Promise<Map<string, AuditEvent[]>> {
  const ids = idsOf(group);
  const rows = await ctx.db.$queryRaw<AuditEvent[]>`
      SELECT e.* FROM unnest(${ids}::text[]) WITH ORDINALITY AS k("entityId", n)
      CROSS JOIN LATERAL (
        SELECT a.* FROM "AuditEvent" a
         WHERE ${conditions(ctx.tenant!.id, group[0]!)} AND a."entityId" = k."entityId"
         ORDER BY a."changedAt" DESC, a.id DESC
         LIMIT ${group[0]!.limit}) e
      ORDER BY k.n, e."changedAt" DESC, e.id DESC`;
  const byEntity = new Map<string, AuditEvent[]>(ids.map((id) => [id, []]));
  for (const row of rows) byEntity.get(row.entityId)!.push(row);
  return byEntity;
}

/** How many rows each entity of the group has: one GROUP BY over the same index. */
async function loadCounts(ctx: Context, group: TrailKey[]): Promise<Map<string, number>> {
  const ids = idsOf(group);
  const rows = await ctx.db.$queryRaw<Array<{ entityId: string; n: number }>>`
      SELECT a."entityId", count(*)::int AS n FROM "AuditEvent" a
       WHERE ${conditions(ctx.tenant!.id, group[0]!)} AND a."entityId" = ANY(${ids}::text[])
       GROUP BY a."entityId"`;
  const byEntity = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const row of rows) byEntity.set(row.entityId, row.n);
  return byEntity;
}
