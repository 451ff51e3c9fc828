import { Prisma } from "../../generated/prisma/client.ts";
import { JobStatus } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";
import { countsByStatus } from "../common.ts";
import { JobStatusEnum } from "./enums.ts";
import { PeriodCountRef, span, tenantToday, type PeriodCount } from "../figures.ts";

interface JobStatusCount { status: JobStatus; count: number }
interface BuilderJobs { id: string; name: string; total: number; open: number; byStatus: JobStatusCount[] }

const JobStatusCountRef = builder.objectRef<JobStatusCount>("JobStatusCount").implement({
  description: "How many jobs (not archived) are in a status.",
  fields: (t) => ({
    status: t.expose("status", { type: JobStatusEnum, description: "The status." }),
    count: t.exposeInt("count", { description: "Jobs in it." }),
  }),
});

const BuilderJobsRef = builder.objectRef<BuilderJobs>("BuilderJobFigures").implement({
  description: "One builder's jobs (not archived), by status.",
  fields: (t) => ({
    builderId: t.globalID({ description: "The builder's global ID (filter `jobs` by it).", resolve: (b) => ({ type: "Builder", id: b.id }) }),
    builderName: t.exposeString("name", { description: "The builder's name." }),
    total: t.exposeInt("total", { description: "All its jobs." }),
    open: t.exposeInt("open", { description: "Its jobs neither complete nor cancelled." }),
    byStatus: t.field({ type: [JobStatusCountRef], description: "Its jobs per status (statuses without jobs left out), in phase order.", resolve: (b) => b.byStatus }),
  }),
});

const JobFiguresRef = builder.objectRef<object>("JobFigures").implement({
  description: "The acting tenant's jobs in figures (archived jobs left out, as in `jobs`), each computed by the database when selected.",
  fields: (t) => ({
    byStatus: t.field({
      type: [JobStatusCountRef],
      description: "Jobs per status, every status listed (from the per-tenant counters kept with every write).",
      resolve: async (_, _args, ctx) => {
        const counts = await countsByStatus(ctx, "Job");
        return Object.values(JobStatus).map((status) => ({ status, count: counts.get(status) ?? 0 }));
      },
    }),
    byBuilder: t.field({
      type: [BuilderJobsRef],
      description: "The builders with the most open jobs (then most jobs), each with its jobs per status.",
      authScopes: { can: "builder:read" },
      args: { first: t.arg.int({ defaultValue: 10, description: "How many builders (1 to 100, default 10)." }) },
      resolve: (_, { first }, ctx) => ctx.db.$queryRaw<BuilderJobs[]>(Prisma.sql`
        WITH c AS (SELECT "builderId", "status", count(*)::int AS n FROM "Job" WHERE "archivedAt" IS NULL GROUP BY 1, 2),
        top AS (
          SELECT "builderId", sum(n)::int AS total, coalesce(sum(n) FILTER (WHERE "status" NOT IN ('complete', 'cancelled')), 0)::int AS open
          FROM c GROUP BY 1 ORDER BY open DESC, total DESC, "builderId" LIMIT ${span(first ?? 10, 100, "first")}
        )
        SELECT top."builderId" AS id, b."name", top.total, top.open,
          json_agg(json_build_object('status', c."status", 'count', c.n) ORDER BY c."status") AS "byStatus"
        FROM top JOIN "Builder" b ON b."id" = top."builderId" JOIN c ON c."builderId" = top."builderId"
        GROUP BY top."builderId", b."name", top.total, top.open
        ORDER BY top.open DESC, top.total DESC, top."builderId"`),
    }),
    scheduledByWeek: t.field({
      type: [PeriodCountRef],
      description: "Jobs scheduled to start in each of the coming weeks (Monday to Sunday, in the tenant's time zone), this week first; weeks without jobs included.",
      args: { weeks: t.arg.int({ defaultValue: 8, description: "How many weeks (1 to 52, default 8)." }) },
      resolve: (_, { weeks }, ctx) => {
        const n = span(weeks ?? 8, 52, "weeks");
        // the bounds come from a materialized CTE: as parameters, the scan of (tenantId, scheduledDate) is a range
        return ctx.db.$queryRaw<PeriodCount[]>(Prisma.sql`
          WITH b AS MATERIALIZED (SELECT date_trunc('week', ${tenantToday})::date AS first),
          w AS (SELECT (SELECT first FROM b) + 7 * i AS start FROM generate_series(0, ${n}::int - 1) AS i),
          c AS (
            SELECT date_trunc('week', "scheduledDate")::date AS start, count(*) AS n FROM "Job"
            WHERE "scheduledDate" >= (SELECT first FROM b) AND "scheduledDate" < (SELECT first + 7 * ${n}::int FROM b) AND "archivedAt" IS NULL
            GROUP BY 1
          )
          SELECT w.start, coalesce(c.n, 0)::int AS count FROM w LEFT JOIN c USING (start) ORDER BY w.start`);
      },
    }),
  }),
});

builder.queryField("jobFigures", (t) =>
  t.field({
    type: JobFiguresRef,
    nullable: true,
    description: "The acting tenant's jobs in figures: by status, per builder, scheduled per week.",
    authScopes: { $all: { capability: "jobs", can: "job:read" } },
    resolve: () => ({}),
  }),
);
