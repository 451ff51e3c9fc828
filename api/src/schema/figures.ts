import { Prisma } from "../generated/prisma/client.ts";
import { badInput } from "../errors.ts";
import { builder } from "./builder.ts";

/**
 * What the overview's aggregates share. Every figure is computed by PostgreSQL in one grouped statement over an
 * index, on the request's client (`ctx.db`): raw SQL there runs as the application role with the acting tenant's
 * `app.tenant_id`, so row-level security alone confines it to the tenant (no `tenantId` in the SQL to forget).
 */

/** The tenant's own calendar: "today" and week starts (Monday) are those of its time zone (Tenant.timezone). */
export const tenantToday = Prisma.sql`(now() AT TIME ZONE (SELECT "timezone" FROM "Tenant" WHERE "id" = app_tenant_id()))::date`;
/** The tenant's time zone, for truncating instants to its days, weeks and months. */
export const tenantZone = Prisma.sql`(SELECT "timezone" FROM "Tenant" WHERE "id" = app_tenant_id())`;

/** A count argument (weeks, months, hours) in 1..max; BAD_USER_INPUT at `name` otherwise. */
export function span(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw badInput(`must be between 1 and ${max}`, [name]);
  return value;
}

export interface PeriodCount {
  start: Date;
  count: number;
}

export const PeriodCountRef = builder.objectRef<PeriodCount>("PeriodCount").implement({
  description: "How many in a period (a week or a month) of the tenant's calendar.",
  fields: (t) => ({
    start: t.expose("start", { type: "Date", description: "The period's first day (a Monday for a week)." }),
    count: t.exposeInt("count", { description: "How many." }),
  }),
});

/** The query's rows (`$queryRaw` on the request's client). */
export type Raw = { $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): PromiseLike<T> };
