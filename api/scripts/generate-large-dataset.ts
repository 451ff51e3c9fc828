// A large, realistic-shaped data set for benchmarks and EXPLAIN checks: `npm run cli -- seed:large`.
// Rows are generated inside PostgreSQL (INSERT ... SELECT generate_series), so 100k jobs take seconds.
import type { Prisma } from "../src/db/client.ts";

export interface LargeDatasetOptions {
  /** Tenant (slug or id) that gets the jobs and bids. */
  jobsTenant: string;
  /** Tenant (slug or id) that gets the service calls. */
  serviceCallsTenant: string;
  builders?: number;
  jobs?: number;
  bids?: number;
  serviceCalls?: number;
}

export interface LargeDatasetCounts {
  builders: number;
  jobs: number;
  bids: number;
  serviceCalls: number;
}

/**
 * Adds (does not replace) generated builders, jobs, bids and service calls, then ANALYZEs the tables. Statuses are
 * skewed the way a real history is (most work finished), timestamps spread over two years.
 */
export async function generateLargeDataset(prisma: Prisma, options: LargeDatasetOptions): Promise<LargeDatasetCounts> {
  const counts = { builders: options.builders ?? 200, jobs: options.jobs ?? 100_000, bids: options.bids ?? 20_000, serviceCalls: options.serviceCalls ?? 50_000 };
  const jobsTenant = await tenantId(prisma, options.jobsTenant);
  const callsTenant = await tenantId(prisma, options.serviceCallsTenant);
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO "Builder" (id, name, "contactName", city, state, active, version, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 'Generated Builder ' || g, 'Contact ' || g, 'City ' || (g % 50), 'FL', g % 10 <> 0, 1,
             now() - (g % 730) * interval '1 day', now() - (g % 365) * interval '1 day'
      FROM generate_series(1, ${counts.builders}::int) g`;
    await tx.$executeRaw`
      WITH b AS (SELECT array_agg(id ORDER BY id) AS ids FROM "Builder"),
           s AS (SELECT g, (now() - (random() * 730) * interval '1 day') AS at FROM generate_series(1, ${counts.jobs}::int) g)
      INSERT INTO "Job" (id, "tenantId", "builderId", community, lot, "addressLine1", city, state, plan, status, "scheduledDate",
                         "completedAt", "assignedCrew", "amountCents", version, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), ${jobsTenant}::uuid, b.ids[1 + (g % array_length(b.ids, 1))], 'Community ' || (g % 400), (g % 900)::text,
             (100 + g) || ' Generated Way', 'City ' || (g % 50), 'FL', 'Plan ' || (g % 30), js.status::"JobStatus",
             (s.at - interval '30 days')::date, CASE WHEN js.status = 'complete' THEN s.at END, 'Crew ' || (g % 40),
             500000 + (g % 1000) * 100, 1, s.at - interval '60 days', s.at
      FROM s CROSS JOIN b CROSS JOIN LATERAL (SELECT CASE
             WHEN g % 100 < 70 THEN 'complete' WHEN g % 100 < 74 THEN 'cancelled' WHEN g % 100 < 77 THEN 'on_hold'
             ELSE (ARRAY['scheduled','underground','rough_in','top_out','trim','final'])[1 + (g % 6)] END AS status) js`;
    await tx.$executeRaw`
      WITH b AS (SELECT array_agg(id ORDER BY id) AS ids FROM "Builder"),
           s AS (SELECT g, (now() - (random() * 730) * interval '1 day') AS at FROM generate_series(1, ${counts.bids}::int) g)
      INSERT INTO "Bid" (id, "tenantId", "builderId", project, plans, status, "lineItems", "amountCents", "dueDate", "submittedAt",
                         "decidedAt", estimator, version, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), ${jobsTenant}::uuid, b.ids[1 + (g % array_length(b.ids, 1))], 'Project ' || (g % 700), ARRAY['Plan ' || (g % 30)],
             (ARRAY['won','lost','lost','expired','submitted','draft'])[1 + (g % 6)]::"BidStatus",
             jsonb_build_array(jsonb_build_object('description', 'Rough and trim', 'quantity', 1, 'unitPriceCents', 900000 + g % 1000)),
             900000 + g % 1000, (s.at + interval '14 days')::date, s.at - interval '7 days',
             CASE WHEN g % 6 < 4 THEN s.at END, 'Estimator ' || (g % 8), 1, s.at - interval '14 days', s.at
      FROM s CROSS JOIN b`;
    await tx.$executeRaw`
      WITH s AS (SELECT g, (now() - (random() * 730) * interval '1 day') AS at FROM generate_series(1, ${counts.serviceCalls}::int) g)
      INSERT INTO "ServiceCall" (id, "tenantId", "customerName", "customerPhone", "addressLine1", city, state, problem, priority, status,
                                 "windowStart", "windowEnd", "assignedTechnician", "completedAt", "invoicedAt", version, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), ${callsTenant}::uuid, 'Customer ' || g, '+1813' || lpad((g % 10000000)::text, 7, '0'), g || ' Generated St',
             'Tampa', 'FL', 'Generated problem ' || (g % 50), (ARRAY['emergency','urgent','routine','routine','routine'])[1 + (g % 5)]::"ServiceCallPriority",
             cs.status::"ServiceCallStatus", s.at, s.at + interval '4 hours', 'Tech ' || (g % 25),
             CASE WHEN cs.status IN ('completed','invoiced') THEN s.at END, CASE WHEN cs.status = 'invoiced' THEN s.at END, 1, s.at - interval '1 day', s.at
      FROM s CROSS JOIN LATERAL (SELECT CASE WHEN g % 100 < 75 THEN 'invoiced' WHEN g % 100 < 80 THEN 'cancelled'
             ELSE (ARRAY['new','scheduled','dispatched','in_progress','completed'])[1 + (g % 5)] END AS status) cs`;
  }, { timeout: 600_000 });
  for (const table of ["Builder", "Job", "Bid", "ServiceCall"]) await prisma.$executeRawUnsafe(`ANALYZE "${table}"`);
  return counts;
}

async function tenantId(prisma: Prisma, slugOrId: string): Promise<string> {
  const isUuid = /^[0-9a-f-]{36}$/i.test(slugOrId);
  const tenant = await prisma.tenant.findFirst({ where: isUuid ? { id: slugOrId } : { slug: slugOrId }, select: { id: true } });
  if (!tenant) throw new Error(`no tenant "${slugOrId}" (run the seed first)`);
  return tenant.id;
}
