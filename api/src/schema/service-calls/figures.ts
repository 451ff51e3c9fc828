import { Prisma } from "../../generated/prisma/client.ts";
import type { ServiceCallPriority, ServiceCallStatus } from "../../generated/prisma/enums.ts";
import type { Context } from "../../context.ts";
import { builder } from "../builder.ts";
import { ServiceCallPriorityEnum, ServiceCallStatusEnum } from "../enums.ts";
import { tenantToday, tenantZone } from "../figures.ts";

interface CallCount { priority: ServiceCallPriority; status: ServiceCallStatus; count: number }
interface Period { from: Date; to: Date; counts: CallCount[] }
interface Emergencies { count: number; oldestCreatedAt: Date | null }

/** Not yet on site or done: the statuses a call is waiting in. */
export const OPEN_STATUSES = ["new", "scheduled", "dispatched", "in_progress"] as const satisfies readonly ServiceCallStatus[];
/** The same, as SQL literals (constants: compared to the enum column, so its indexes serve). */
const OPEN = Prisma.raw(OPEN_STATUSES.map((s) => `'${s}'`).join(", "));

const CallCountRef = builder.objectRef<CallCount>("ServiceCallCount").implement({
  description: "How many service calls (not archived) have a priority and a status.",
  fields: (t) => ({
    priority: t.expose("priority", { type: ServiceCallPriorityEnum, description: "The priority." }),
    status: t.expose("status", { type: ServiceCallStatusEnum, description: "The status." }),
    count: t.exposeInt("count", { description: "Calls with both." }),
  }),
});

const PeriodRef = builder.objectRef<Period>("ServiceCallPeriodFigures").implement({
  description: "The service calls (not archived) whose arrival window starts in a period of the tenant's calendar.",
  fields: (t) => ({
    from: t.expose("from", { type: "DateTime", description: "The period's start (filter `serviceCalls` with `window: { from, to }`)." }),
    to: t.expose("to", { type: "DateTime", description: "The period's last instant (a millisecond before the next period)." }),
    total: t.int({ description: "All of them.", resolve: (p) => p.counts.reduce((sum, c) => sum + c.count, 0) }),
    byPriorityAndStatus: t.field({ type: [CallCountRef], description: "Per priority and status (pairs without calls left out), most pressing first.", resolve: (p) => p.counts }),
  }),
});

const EmergenciesRef = builder.objectRef<Emergencies>("OpenEmergencies").implement({
  description: "Emergency calls not yet on site or done (status NEW, SCHEDULED, DISPATCHED or IN_PROGRESS).",
  fields: (t) => ({
    count: t.exposeInt("count", { description: "How many." }),
    oldestCreatedAt: t.expose("oldestCreatedAt", { type: "DateTime", nullable: true, description: "When the oldest of them was taken; null when there is none." }),
    oldestAgeSeconds: t.int({
      nullable: true,
      description: "How long the oldest of them has been open, in seconds; null when there is none.",
      resolve: (e) => (e.oldestCreatedAt ? Math.max(0, Math.floor((Date.now() - e.oldestCreatedAt.getTime()) / 1000)) : null),
    }),
  }),
});

/** The calls whose window starts in `days` days from today's start (or this week's: `week`), by priority and status. One statement. */
const period = (days: number, week: boolean) => async (_: object, _args: object, ctx: Context): Promise<Period> => {
  const first = week ? Prisma.sql`date_trunc('week', ${tenantToday})::date` : tenantToday;
  const rows = await ctx.db.$queryRaw<Array<CallCount & { from: Date; to: Date }>>(Prisma.sql`
    WITH r AS (SELECT ((${first})::timestamp AT TIME ZONE ${tenantZone}) AS "from", ((${first} + ${days}::int)::timestamp AT TIME ZONE ${tenantZone}) AS "to")
    SELECT r."from", r."to", c."priority", c."status", count(c."id")::int AS count
    FROM r LEFT JOIN "ServiceCall" c
      ON c."windowStart" >= (r."from" AT TIME ZONE 'UTC') AND c."windowStart" < (r."to" AT TIME ZONE 'UTC') AND c."archivedAt" IS NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 3, 4`);
  const { from, to } = rows[0]!;
  return { from, to: new Date(to.getTime() - 1), counts: rows.filter((r) => r.count > 0).map(({ priority, status, count }) => ({ priority, status, count })) };
};

const ServiceCallFiguresRef = builder.objectRef<object>("ServiceCallFigures").implement({
  description: "The acting tenant's service calls in figures (archived calls left out, as in `serviceCalls`), each computed by the database when selected.",
  fields: (t) => ({
    today: t.field({ type: PeriodRef, description: "Calls whose arrival window starts today (the tenant's time zone).", resolve: period(1, false) }),
    thisWeek: t.field({ type: PeriodRef, description: "Calls whose arrival window starts this week (Monday to Sunday, the tenant's time zone).", resolve: period(7, true) }),
    open: t.field({
      type: [CallCountRef],
      description: "Every open call (status NEW, SCHEDULED, DISPATCHED or IN_PROGRESS), per priority and status, whenever its window.",
      resolve: (_, _args, ctx) => ctx.db.$queryRaw<CallCount[]>(Prisma.sql`
        SELECT "priority", "status", count(*)::int AS count FROM "ServiceCall"
        WHERE "status" IN (${OPEN}) AND "archivedAt" IS NULL GROUP BY 1, 2 ORDER BY 1, 2`),
    }),
    openEmergencies: t.field({
      type: EmergenciesRef,
      description: "The open emergencies: how many, and the age of the oldest.",
      resolve: async (_, _args, ctx) => {
        const [row] = await ctx.db.$queryRaw<Emergencies[]>(Prisma.sql`
          SELECT count(*)::int AS count, min("createdAt" AT TIME ZONE 'UTC') AS "oldestCreatedAt" FROM "ServiceCall"
          WHERE "priority" = 'emergency' AND "status" IN (${OPEN}) AND "archivedAt" IS NULL`);
        return row!;
      },
    }),
  }),
});

builder.queryField("serviceCallFigures", (t) =>
  t.field({
    type: ServiceCallFiguresRef,
    nullable: true,
    description: "The acting tenant's service calls in figures: today's and this week's by priority and status, the open ones, the oldest open emergency.",
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:read" } },
    resolve: () => ({}),
  }),
);
