import { asTenantOn } from "../db/rls.ts";
import type { AuditPartition, Queryable } from "./partitions.ts";

/** TenantConfig.auditRetentionDays's default (prisma/schema/system.prisma): a tenant without a configuration row. */
export const DEFAULT_RETENTION_DAYS = 730;
const DAY_MS = 86_400_000;

/**
 * The retention rule. A monthly partition holds every tenant's rows of that month, and partitions are archived
 * whole (detached, written out, dropped), never deleted row by row. A row of tenant T changed at c must stay
 * queryable until c + retention(T); the latest row of a partition is just before its end, so the partition may go
 * once `end + retention(T) <= now` for EVERY tenant T that has rows in it:
 *
 *     archivable(P)  <=>  P.end + max{ retention(T) : T has rows in P } <= now
 *
 * The maximum (not the minimum) is what guarantees that no row leaves before its own tenant's retention ends; the
 * price is that a short-retention tenant's rows may stay up to (longest retention among the tenants present in that
 * month − its own) longer. Tenants with no rows in the month do not hold it back. Retention is read when the
 * archival runs: lowering it archives earlier, raising it keeps what is still there longer. Archived rows are not
 * lost: they are in the archive files, and `audit:restore` loads them back.
 */
export function isArchivable(partition: Pick<AuditPartition, "to">, retentionDays: number, now: Date): boolean {
  return partition.to.getTime() + retentionDays * DAY_MS <= now.getTime();
}

/**
 * The longest retention (days) among the tenants with rows in `partition` (a loose index scan over its
 * (tenantId, ...) index), or null when it is empty. Each tenant's configuration is read as that tenant, so the read
 * works under row-level security whatever the connection's role.
 */
export async function partitionRetentionDays(db: Queryable, partitionName: string): Promise<number | null> {
  const { rows: tenants } = await db.query<{ tenantId: string }>(
    `WITH RECURSIVE t AS (
       (SELECT "tenantId" FROM "${partitionName}" ORDER BY "tenantId" LIMIT 1)
       UNION ALL
       SELECT (SELECT "tenantId" FROM "${partitionName}" WHERE "tenantId" > t."tenantId" ORDER BY "tenantId" LIMIT 1)
         FROM t WHERE t."tenantId" IS NOT NULL)
     SELECT "tenantId"::text AS "tenantId" FROM t WHERE "tenantId" IS NOT NULL`,
  );
  if (!tenants.length) return null;
  let longest = 0;
  for (const { tenantId } of tenants) longest = Math.max(longest, await tenantRetentionDays(db, tenantId));
  return longest;
}

/** A tenant's retention, read as that tenant (db/rls.ts `asTenantOn`: APP_ROLE, under row-level security). */
export async function tenantRetentionDays(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await asTenantOn(db, tenantId, () => db.query<{ days: number }>(`SELECT "auditRetentionDays" AS days FROM "TenantConfig" WHERE "tenantId" = $1::uuid`, [tenantId]));
  return rows[0]?.days ?? DEFAULT_RETENTION_DAYS;
}
