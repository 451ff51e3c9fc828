import { Prisma } from "../../generated/prisma/client.ts";
import { BidStatus } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";
import { BidStatusEnum } from "./enums.ts";
import { span, tenantToday, tenantZone } from "../figures.ts";

interface BidValue { status: BidStatus; count: number; amountCents: number }
interface MonthWins { start: Date; won: number; lost: number }

const BidValueRef = builder.objectRef<BidValue>("BidStatusValue").implement({
  description: "The bids (not archived) in a status and their value.",
  fields: (t) => ({
    status: t.expose("status", { type: BidStatusEnum, description: "The status." }),
    count: t.exposeInt("count", { description: "Bids in it." }),
    amountCents: t.field({ type: "Float", description: "Their total amount, in integer cents (a Float: sums can pass 2^31).", resolve: (v) => v.amountCents }),
  }),
});

const MonthWinsRef = builder.objectRef<MonthWins>("BidWinRate").implement({
  description: "The bids decided in a month of the tenant's calendar (won or lost, by `decidedAt`).",
  fields: (t) => ({
    start: t.expose("start", { type: "Date", description: "The month's first day." }),
    won: t.exposeInt("won", { description: "Bids won." }),
    lost: t.exposeInt("lost", { description: "Bids lost." }),
    winRate: t.float({ nullable: true, description: "won / (won + lost), from 0 to 1; null when none was decided.", resolve: (m) => (m.won + m.lost ? m.won / (m.won + m.lost) : null) }),
  }),
});

const BidFiguresRef = builder.objectRef<object>("BidFigures").implement({
  description: "The acting tenant's bids pipeline in figures (archived bids left out, as in `bids`), each computed by the database when selected.",
  fields: (t) => ({
    byStatus: t.field({
      type: [BidValueRef],
      description: "Bids and their value per status, every status listed, in pipeline order.",
      resolve: async (_, _args, ctx) => {
        const rows = await ctx.db.$queryRaw<BidValue[]>(Prisma.sql`
          SELECT "status", count(*)::int AS count, coalesce(sum("amountCents"), 0)::float8 AS "amountCents"
          FROM "Bid" WHERE "archivedAt" IS NULL GROUP BY 1`);
        const found = new Map(rows.map((r) => [r.status, r]));
        return Object.values(BidStatus).map((status) => found.get(status) ?? { status, count: 0, amountCents: 0 });
      },
    }),
    winRateByMonth: t.field({
      type: [MonthWinsRef],
      description: "Bids won and lost per month, for the last `months` months (this month last); months without decisions included.",
      args: { months: t.arg.int({ defaultValue: 12, description: "How many months (1 to 36, default 12)." }) },
      resolve: (_, { months }, ctx) => {
        const n = span(months ?? 12, 36, "months");
        // the window's start comes from a materialized CTE: as a parameter, the scan of (tenantId, decidedAt, ...) is a range
        return ctx.db.$queryRaw<MonthWins[]>(Prisma.sql`
          WITH b AS MATERIALIZED (SELECT (date_trunc('month', ${tenantToday})::date - make_interval(months => ${n}::int - 1))::date AS first, ${tenantZone} AS tz),
          m AS (SELECT ((SELECT first FROM b) + make_interval(months => i))::date AS start FROM generate_series(0, ${n}::int - 1) AS i),
          d AS (
            SELECT date_trunc('month', ("decidedAt" AT TIME ZONE 'UTC') AT TIME ZONE (SELECT tz FROM b))::date AS start,
              count(*) FILTER (WHERE "status" = 'won') AS won, count(*) FILTER (WHERE "status" = 'lost') AS lost
            FROM "Bid"
            WHERE "decidedAt" >= (SELECT (first::timestamp AT TIME ZONE tz) AT TIME ZONE 'UTC' FROM b) AND "archivedAt" IS NULL
            GROUP BY 1
          )
          SELECT m.start, coalesce(d.won, 0)::int AS won, coalesce(d.lost, 0)::int AS lost FROM m LEFT JOIN d USING (start) ORDER BY m.start`);
      },
    }),
  }),
});

builder.queryField("bidFigures", (t) =>
  t.field({
    type: BidFiguresRef,
    nullable: true,
    description: "The acting tenant's bids pipeline in figures: value by status, win rate per month.",
    authScopes: { $all: { capability: "bids", can: "bid:read" } },
    resolve: () => ({}),
  }),
);
