import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, fails, globalId, ok, seedDemo } from "./support/domain.ts";

const TZ = "America/New_York"; // both demo tenants' time zone
const OPEN = "('new', 'scheduled', 'dispatched', 'in_progress')";

/**
 * The overview's aggregates against direct counts (SQL as the superuser, the tenant named in the WHERE) on the demo
 * data, with each tenant's rows copied into the other tenant so that a figure which leaked across tenants would
 * not match. Run with the tenant-scoped client's filters and with row-level security alone: the figures are raw SQL,
 * which only row-level security confines.
 */
describe.each([
  { mode: "tenant-scoped client and row-level security", filter: "true" },
  { mode: "row-level security alone", filter: "false" },
])("overview figures: $mode", ({ filter }) => {
  let t: TestApp;
  let prisma: Prisma;
  let db: pg.Client;
  const tenants: Record<string, string> = {};
  const q = async <R = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as R[];

  beforeAll(async () => {
    t = await startTestApp({ TENANCY_FILTER: filter });
    prisma = await seedDemo(t);
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    for (const r of await q<{ slug: string; id: string }>(`SELECT slug, id FROM "Tenant"`)) tenants[r.slug] = r.id;
    const [ac, h2o] = [tenants.all_county, tenants.h2o];
    // each tenant's rows, copied into the other one
    await q(`INSERT INTO "Job" ("id","tenantId","builderId","community","status","scheduledDate","archivedAt","updatedAt")
             SELECT gen_random_uuid(), $2, "builderId", "community", "status", "scheduledDate", "archivedAt", now() FROM "Job" WHERE "tenantId" = $1`, [ac, h2o]);
    await q(`INSERT INTO "Bid" ("id","tenantId","builderId","project","status","amountCents","dueDate","decidedAt","archivedAt","updatedAt")
             SELECT gen_random_uuid(), $2, "builderId", "project", "status", "amountCents", "dueDate", "decidedAt", "archivedAt", now() FROM "Bid" WHERE "tenantId" = $1`, [ac, h2o]);
    // service calls whose windows start today and this week, open emergencies of different ages, some archived
    await q(`UPDATE "ServiceCall" SET "windowStart" = now() + make_interval(hours => (n % 200) - 100), "createdAt" = now() - make_interval(mins => n * 7),
               "archivedAt" = CASE WHEN n % 13 = 0 THEN now() END
             FROM (SELECT "id" AS cid, row_number() OVER (ORDER BY "id")::int AS n FROM "ServiceCall") s WHERE "id" = s.cid AND "tenantId" = $1`, [h2o]);
    await q(`INSERT INTO "ServiceCall" ("id","tenantId","customerName","customerPhone","addressLine1","problem","priority","status","windowStart","createdAt","updatedAt")
             SELECT gen_random_uuid(), $2, "customerName", "customerPhone", "addressLine1", "problem", "priority", "status", "windowStart", "createdAt" - interval '30 days', now()
             FROM "ServiceCall" WHERE "tenantId" = $1`, [h2o, ac]);
    // bids decided over the last months
    await q(`UPDATE "Bid" SET "decidedAt" = now() - make_interval(days => (n * 11) % 400)
             FROM (SELECT "id" AS bid, row_number() OVER (ORDER BY "id")::int AS n FROM "Bid") s WHERE "id" = s.bid AND "status" IN ('won', 'lost')`);
    // jobs scheduled in the coming weeks
    await q(`UPDATE "Job" SET "scheduledDate" = current_date + (n % 60) FROM (SELECT "id" AS jid, row_number() OVER (ORDER BY "id")::int AS n FROM "Job") s
             WHERE "id" = s.jid AND n % 3 = 0`);
    // webhook deliveries in both tenants, some older than the window
    for (const [tenant, shift] of [[ac, 0], [h2o, 1]] as const) {
      const [endpoint] = await q<{ id: string }>(`INSERT INTO "WebhookEndpoint" ("id","tenantId","url","secrets","updatedAt") VALUES (gen_random_uuid(), $1, 'https://example.com/hook', 'x', now()) RETURNING "id"`, [tenant]);
      await q(`WITH m AS (INSERT INTO "WebhookMessage" ("id","tenantId","eventType","payload","occurredAt") SELECT gen_random_uuid(), $1, 'job.updated', '{}', now() FROM generate_series(1, 40) RETURNING "id")
               INSERT INTO "WebhookDelivery" ("id","tenantId","messageId","endpointId","status","updatedAt")
               SELECT gen_random_uuid(), $1, m."id", $2, (ARRAY['pending','succeeded','succeeded','failed']::"WebhookDeliveryStatus"[])[1 + (row_number() OVER () + $3) % 4],
                 now() - make_interval(hours => (row_number() OVER ())::int) FROM m`, [tenant, endpoint!.id, shift]);
    }
  });
  afterAll(async () => {
    await db?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("jobs by status, per builder and scheduled per week match direct counts", async () => {
    const tenant = tenants.all_county;
    const data = await ok(t, `{ jobFigures { byStatus { status count } byBuilder(first: 5) { builderId builderName total open byStatus { status count } } scheduledByWeek(weeks: 10) { start count } } }`);
    const byStatus = await q<{ status: string; n: number }>(`SELECT "status"::text, count(*)::int AS n FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL GROUP BY 1`, [tenant]);
    const expected = new Map(byStatus.map((r) => [r.status.toUpperCase(), r.n]));
    expect(data.jobFigures.byStatus).toHaveLength(9);
    for (const s of data.jobFigures.byStatus) expect(s.count, s.status).toBe(expected.get(s.status) ?? 0);
    expect(data.jobFigures.byStatus.reduce((a: number, s: { count: number }) => a + s.count, 0)).toBeGreaterThan(0);

    const builders = await q<{ id: string; name: string; total: number; open: number }>(
      `SELECT b."id", b."name", count(*)::int AS total, (count(*) FILTER (WHERE j."status" NOT IN ('complete', 'cancelled')))::int AS open
       FROM "Job" j JOIN "Builder" b ON b."id" = j."builderId" WHERE j."tenantId" = $1 AND j."archivedAt" IS NULL
       GROUP BY b."id", b."name" ORDER BY open DESC, total DESC, b."id" LIMIT 5`, [tenant]);
    expect(data.jobFigures.byBuilder.map((b: any) => [b.builderId, b.builderName, b.total, b.open])).toEqual(builders.map((b) => [globalId("Builder", b.id), b.name, b.total, b.open]));
    const first = data.jobFigures.byBuilder[0];
    const perStatus = await q<{ status: string; n: number }>(
      `SELECT "status"::text AS status, count(*)::int AS n FROM "Job" j WHERE "tenantId" = $1 AND "builderId" = $2 AND "archivedAt" IS NULL GROUP BY j."status" ORDER BY j."status"`, [tenant, builders[0]!.id]);
    expect(first.byStatus).toEqual(perStatus.map((r) => ({ status: r.status.toUpperCase(), count: r.n })));

    const weeks = await q<{ start: string; n: number }>(
      `SELECT to_char(w, 'YYYY-MM-DD') AS start, (SELECT count(*) FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND "scheduledDate" >= w::date AND "scheduledDate" < w::date + 7)::int AS n
       FROM generate_series(date_trunc('week', (now() AT TIME ZONE '${TZ}')::date), date_trunc('week', (now() AT TIME ZONE '${TZ}')::date) + interval '9 weeks', interval '1 week') AS w ORDER BY w`, [tenant]);
    expect(data.jobFigures.scheduledByWeek).toEqual(weeks.map((w) => ({ start: w.start, count: w.n })));
    expect(weeks.some((w) => w.n > 0)).toBe(true);
  });

  it("service calls by priority and status today and this week, open ones, and the oldest open emergency match direct counts", async () => {
    const tenant = tenants.h2o;
    const period = `{ from to total byPriorityAndStatus { priority status count } }`;
    const data = await ok(t, `{ serviceCallFigures { today ${period} thisWeek ${period} open { priority status count } openEmergencies { count oldestCreatedAt oldestAgeSeconds } } }`, {}, "h2o");
    const f = data.serviceCallFigures;
    const direct = (from: string, to: string) =>
      q<{ priority: string; status: string; n: number }>(
        `SELECT "priority"::text AS priority, "status"::text AS status, count(*)::int AS n FROM "ServiceCall" c WHERE "tenantId" = $1 AND "archivedAt" IS NULL
         AND "windowStart" >= ($2::timestamptz AT TIME ZONE 'UTC') AND "windowStart" <= ($3::timestamptz AT TIME ZONE 'UTC') GROUP BY c."priority", c."status" ORDER BY c."priority", c."status"`, [tenant, from, to]);
    const [bounds] = await q<{ day: Date; week: Date }>(
      `SELECT ((now() AT TIME ZONE '${TZ}')::date::timestamp AT TIME ZONE '${TZ}') AS day, (date_trunc('week', (now() AT TIME ZONE '${TZ}')::date)::timestamp AT TIME ZONE '${TZ}') AS week`);
    expect(new Date(f.today.from)).toEqual(bounds!.day);
    expect(new Date(f.thisWeek.from)).toEqual(bounds!.week);
    for (const p of [f.today, f.thisWeek]) {
      const rows = await direct(p.from, p.to);
      expect(p.byPriorityAndStatus).toEqual(rows.map((r) => ({ priority: r.priority.toUpperCase(), status: r.status.toUpperCase(), count: r.n })));
      expect(p.total).toBe(rows.reduce((a, r) => a + r.n, 0));
    }
    expect(f.today.total).toBeGreaterThan(0);
    expect(f.thisWeek.total).toBeGreaterThanOrEqual(f.today.total);

    const open = await q<{ priority: string; status: string; n: number }>(
      `SELECT "priority"::text AS priority, "status"::text AS status, count(*)::int AS n FROM "ServiceCall" c WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND "status" IN ${OPEN} GROUP BY c."priority", c."status" ORDER BY c."priority", c."status"`, [tenant]);
    expect(f.open).toEqual(open.map((r) => ({ priority: r.priority.toUpperCase(), status: r.status.toUpperCase(), count: r.n })));
    const [emergency] = await q<{ n: number; oldest: Date }>(
      `SELECT count(*)::int AS n, min("createdAt" AT TIME ZONE 'UTC') AS oldest FROM "ServiceCall" WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND "priority" = 'emergency' AND "status" IN ${OPEN}`, [tenant]);
    expect(emergency!.n).toBeGreaterThan(0);
    expect(f.openEmergencies.count).toBe(emergency!.n);
    expect(new Date(f.openEmergencies.oldestCreatedAt)).toEqual(emergency!.oldest);
    const age = (Date.now() - emergency!.oldest.getTime()) / 1000;
    expect(Math.abs(f.openEmergencies.oldestAgeSeconds - age)).toBeLessThan(60);
  });

  it("the bids pipeline's value by status and win rate per month match direct counts", async () => {
    const tenant = tenants.all_county;
    const data = await ok(t, `{ bidFigures { byStatus { status count amountCents } winRateByMonth(months: 14) { start won lost winRate } } }`);
    const rows = await q<{ status: string; n: number; sum: number }>(
      `SELECT "status"::text, count(*)::int AS n, sum("amountCents")::float8 AS sum FROM "Bid" WHERE "tenantId" = $1 AND "archivedAt" IS NULL GROUP BY 1`, [tenant]);
    const expected = new Map(rows.map((r) => [r.status.toUpperCase(), r]));
    expect(data.bidFigures.byStatus.map((s: any) => s.status)).toEqual(["DRAFT", "SUBMITTED", "WON", "LOST", "EXPIRED"]);
    for (const s of data.bidFigures.byStatus) expect([s.status, s.count, s.amountCents]).toEqual([s.status, expected.get(s.status)?.n ?? 0, expected.get(s.status)?.sum ?? 0]);

    const months = await q<{ start: string; won: number; lost: number }>(
      `SELECT to_char(m, 'YYYY-MM-DD') AS start,
         (SELECT count(*) FROM "Bid" WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND "status" = 'won' AND date_trunc('month', ("decidedAt" AT TIME ZONE 'UTC') AT TIME ZONE '${TZ}') = m)::int AS won,
         (SELECT count(*) FROM "Bid" WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND "status" = 'lost' AND date_trunc('month', ("decidedAt" AT TIME ZONE 'UTC') AT TIME ZONE '${TZ}') = m)::int AS lost
       FROM generate_series(date_trunc('month', (now() AT TIME ZONE '${TZ}')::date) - interval '13 months', date_trunc('month', (now() AT TIME ZONE '${TZ}')::date), interval '1 month') AS m ORDER BY m`, [tenant]);
    expect(data.bidFigures.winRateByMonth).toEqual(months.map((m) => ({ ...m, winRate: m.won + m.lost ? m.won / (m.won + m.lost) : null })));
    expect(months.filter((m) => m.won + m.lost > 0).length).toBeGreaterThan(3);
  });

  it("webhook delivery success for those who manage webhooks matches direct counts; others are refused", async () => {
    const data = await ok(t, `{ webhookDeliveryFigures(hours: 24) { since pending succeeded failed successRate } }`);
    const f = data.webhookDeliveryFigures;
    const rows = await q<{ status: string; n: number }>(
      `SELECT "status"::text, count(*)::int AS n FROM "WebhookDelivery" WHERE "tenantId" = $1 AND "updatedAt" >= ($2::timestamptz AT TIME ZONE 'UTC') GROUP BY 1`, [tenants.all_county, f.since]);
    const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    expect([f.pending, f.succeeded, f.failed]).toEqual([n("pending"), n("succeeded"), n("failed")]);
    expect(f.pending + f.succeeded + f.failed).toBe(23); // updated 1..23 hours ago
    expect(f.successRate).toBeCloseTo(n("succeeded") / (n("succeeded") + n("failed")), 10);
    const refused = await t.gql(`{ webhookDeliveryFigures { succeeded } }`, {}, as("all_county", "dispatcher"));
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(refused.data).toEqual({ webhookDeliveryFigures: null });
  });

  it("each aggregate is gated by its capability and permission, and refuses arguments out of range", async () => {
    // h2o has no jobs or bids; all_county has no service calls
    expect((await fails(t, `{ jobFigures { byStatus { count } } }`, {}, "h2o")).extensions?.code).toBe("FORBIDDEN");
    expect((await fails(t, `{ bidFigures { byStatus { count } } }`, {}, "h2o")).extensions?.code).toBe("FORBIDDEN");
    expect((await fails(t, `{ serviceCallFigures { open { count } } }`)).extensions?.code).toBe("FORBIDDEN");
    const anonymous = await t.gql(`{ jobFigures { byStatus { count } } }`);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const error = await fails(t, `{ jobFigures { scheduledByWeek(weeks: 0) { count } } }`);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await fails(t, `{ bidFigures { winRateByMonth(months: 37) { won } } }`)).extensions?.code).toBe("BAD_USER_INPUT");
  });
});
