import { Prisma } from "../../generated/prisma/client.ts";
import type { ServiceCallPriority, ServiceCallStatus } from "../../generated/prisma/enums.ts";
import type { Context } from "../../context.ts";
import { builder } from "../builder.ts";
import { ServiceCallPriorityEnum, ServiceCallStatusEnum } from "./enums.ts";
import { tenantToday, tenantZone } from "../figures.ts";

interface CallCount { priority: ServiceCallPriority; status: ServiceCallStatus; count: number }
interface Period { from: Date; to: Date; counts: CallCount[] }
interface Emergencies { count: number; oldestCreatedAt: Date | null }


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

/**
 * The calls whose window starts in `days` days from today's start (or this week's: `week`), by priority and status.
 * One statement; the bounds come from a materialized CTE, so the scan of (tenantId, windowStart) is a range.
 */
const period = (days: number, week: boolean) => async (_: object, _args: object, ctx: Context): Promise<Period> => {
  const first = week ? Prisma.sql`date_trunc('week', ${tenantToday})::date` : tenantToday;
  const rows = await ctx.db.$queryRaw<Array<Partial<CallCount> & { from: Date; to: Date }>>(Prisma.sql`
    WITH r AS MATERIALIZED (
      SELECT ((${first})::timestamp AT TIME ZONE ${tenantZone}) AS "from", ((${first} + ${days}::int)::timestamp AT TIME ZONE ${tenantZone}) AS "to"
    )
    SELECT (SELECT "from" FROM r) AS "from", (SELECT "to" FROM r) AS "to", g.* FROM (SELECT 1) AS one LEFT JOIN (
      SELECT "priority", "status", count(*)::int AS count FROM "ServiceCall"
      WHERE "windowStart" >= (SELECT "from" AT TIME ZONE 'UTC' FROM r) AND "windowStart" < (SELECT "to" AT TIME ZONE 'UTC' FROM r) AND "archivedAt" IS NULL
      GROUP BY 1, 2
    ) AS g ON true
    ORDER BY g."priority", g."status"`);
  const { from, to } = rows[0]!;
  return { from, to: new Date(to.getTime() - 1), counts: rows.filter((r) => r.count).map(({ priority, status, count }) => ({ priority: priority!, status: status!, count: count! })) };
};

/**
 * The open calls per priority and status, with the oldest one's creation: one grouped read of the
 * (tenantId, status, priority, archivedAt, createdAt) index, by `h2o_open_service_calls()` (a SECURITY INVOKER
 * function, so row-level security applies; its migration says why it is a function).
 */
const openCalls = (ctx: Context) =>
  ctx.db.$queryRaw<Array<CallCount & { oldest: Date }>>`SELECT "priority", "status", "count", "oldest" FROM h2o_open_service_calls() ORDER BY "priority", "status"`;

const ServiceCallFiguresRef = builder.objectRef<object>("ServiceCallFigures").implement({
  description: "The acting tenant's service calls in figures (archived calls left out, as in `serviceCalls`), each computed by the database when selected.",
  fields: (t) => ({
    today: t.field({ type: PeriodRef, description: "Calls whose arrival window starts today (the tenant's time zone).", resolve: period(1, false) }),
    thisWeek: t.field({ type: PeriodRef, description: "Calls whose arrival window starts this week (Monday to Sunday, the tenant's time zone).", resolve: period(7, true) }),
    open: t.field({
      type: [CallCountRef],
      description: "Every open call (status NEW, SCHEDULED, DISPATCHED or IN_PROGRESS), per priority and status, whenever its window.",
      resolve: async (_, _args, ctx) => (await openCalls(ctx)).map(({ priority, status, count }) => ({ priority, status, count })),
    }),
    openEmergencies: t.field({
      type: EmergenciesRef,
      description: "The open emergencies: how many, and the age of the oldest.",
      resolve: async (_, _args, ctx) => {
        const emergencies = (await openCalls(ctx)).filter((c) => c.priority === "emergency");
        const oldest = emergencies.map((c) => c.oldest).sort((x, y) => x.getTime() - y.getTime())[0] ?? null;
        return { count: emergencies.reduce((sum, c) => sum + c.count, 0), oldestCreatedAt: oldest };
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
