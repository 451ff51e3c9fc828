// Demo data for development: `npm run seed` (idempotent) and the first `npm start`.
// This is the one place, with tests, where today's tenants are named.
import { createHash } from "node:crypto";
import type { Prisma } from "../api/src/db/client.ts";
import type { BidStatus, JobStatus, ServiceCallPriority, ServiceCallStatus } from "../api/src/generated/prisma/enums.ts";
import type { Logger } from "../api/src/logger.ts";
import { hashPassword } from "../api/src/auth/passwords.ts";

/** A stable UUID for a seed row, so that a second run finds (and skips) what the first created. */
export function seedId(...key: Array<string | number>): string {
  const h = createHash("sha256").update(key.join(":")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const tenants = [
  { slug: "all_county", name: "All County Plumbing", timezone: "America/New_York", config: { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: false, marketingEnabled: true } },
  { slug: "h2o", name: "H2O Plumbing", timezone: "America/New_York", config: { jobsEnabled: false, bidsEnabled: false, serviceCallsEnabled: true, marketingEnabled: true } },
];

const builders = [
  ["Lennar Homes", "Maria Alvarez", "Orlando", "FL"], ["Pulte Group", "James Carter", "Tampa", "FL"],
  ["D.R. Horton", "Aisha Khan", "Jacksonville", "FL"], ["Taylor Morrison", "Tom Becker", "Sarasota", "FL"],
  ["Meritage Homes", "Lucia Romero", "Lakeland", "FL"], ["David Weekley Homes", "Sam Okafor", "Ocala", "FL"],
] as const;

const communities = ["Cypress Landing", "Oak Hammock", "Heron Bay", "Palmetto Reserve", "Lakeshore Preserve", "Willow Creek"];
const plans = ["Aspen 2150", "Birch 1890", "Cedar 2420", "Dogwood 3010", "Elm 1675"];
const crews = ["Crew A", "Crew B", "Crew C", "Crew D"];
const jobStatuses: JobStatus[] = ["scheduled", "underground", "rough_in", "top_out", "trim", "final", "complete", "on_hold", "cancelled"];
const bidStatuses: BidStatus[] = ["draft", "submitted", "won", "lost", "expired"];
const callStatuses: ServiceCallStatus[] = ["new", "scheduled", "dispatched", "in_progress", "completed", "invoiced", "cancelled"];
const priorities: ServiceCallPriority[] = ["emergency", "urgent", "routine", "routine"];
const problems = ["Water heater leaking", "Kitchen drain clogged", "No hot water", "Toilet running constantly", "Burst pipe under sink", "Low water pressure", "Sewer smell in basement"];
const customers = ["Alex Morgan", "Priya Patel", "John Smith", "Mei Chen", "Carlos Diaz", "Fatima Noor", "Grace Lee", "Omar Haddad"];
const technicians = ["Dana Brooks", "Luis Ortega", "Kim Nguyen"];

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.UTC(2026, 0, 5) + offset * DAY);

export async function seed(prisma: Prisma, log: Pick<Logger, "info">): Promise<void> {
  const ids: Record<string, string> = {};
  for (const t of tenants) {
    const tenant = await prisma.tenant.upsert({ where: { slug: t.slug }, update: {}, create: { slug: t.slug, name: t.name, timezone: t.timezone } });
    await prisma.tenantConfig.upsert({ where: { tenantId: tenant.id }, update: {}, create: { tenantId: tenant.id, ...t.config } });
    ids[t.slug] = tenant.id;
  }
  const builderIds = builders.map(([name]) => seedId("builder", name));
  await prisma.builder.createMany({
    skipDuplicates: true,
    data: builders.map(([name, contactName, city, state], i) => ({
      id: builderIds[i]!, name, contactName, city, state, phone: `+1407555${String(1000 + i).padStart(4, "0")}`,
      email: `${contactName.split(" ")[0]!.toLowerCase()}@${name.toLowerCase().replace(/[^a-z]/g, "")}.example`,
    })),
  });

  const allCounty = ids.all_county!;
  await prisma.job.createMany({
    skipDuplicates: true,
    data: Array.from({ length: 300 }, (_, i) => ({
      id: seedId("job", "all_county", i), tenantId: allCounty, builderId: builderIds[i % builderIds.length]!,
      community: communities[i % communities.length]!, lot: String(100 + i), plan: plans[i % plans.length]!,
      addressLine1: `${1000 + i * 7} ${communities[i % communities.length]!.split(" ")[0]} Way`, city: builders[i % builders.length]![2], state: "FL",
      status: jobStatuses[i % jobStatuses.length]!, scheduledDate: day(i % 120), assignedCrew: crews[i % crews.length]!,
      amountCents: 850_000 + (i % 13) * 25_000, completedAt: jobStatuses[i % jobStatuses.length] === "complete" ? day(i % 120 + 60) : null,
    })),
  });
  await prisma.bid.createMany({
    skipDuplicates: true,
    data: Array.from({ length: 60 }, (_, i) => {
      const status = bidStatuses[i % bidStatuses.length]!;
      const lineItems = [
        { description: "Underground rough", quantity: 1, unitPriceCents: 420_000 + i * 1_000 },
        { description: "Top-out and trim", quantity: 1, unitPriceCents: 510_000 },
        { description: "Fixtures allowance", quantity: 3 + (i % 4), unitPriceCents: 45_000 },
      ];
      return {
        id: seedId("bid", "all_county", i), tenantId: allCounty, builderId: builderIds[i % builderIds.length]!,
        project: `${communities[i % communities.length]} phase ${1 + (i % 3)}`, plans: [plans[i % plans.length]!, plans[(i + 1) % plans.length]!],
        status, lineItems, amountCents: lineItems.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0), dueDate: day(30 + (i % 60)),
        estimator: ["Rita Gomez", "Ben Walsh"][i % 2]!, submittedAt: status === "draft" ? null : day(i % 30),
        decidedAt: ["won", "lost", "expired"].includes(status) ? day(30 + (i % 30)) : null,
      };
    }),
  });
  const h2o = ids.h2o!;
  await prisma.serviceCall.createMany({
    skipDuplicates: true,
    data: Array.from({ length: 140 }, (_, i) => {
      const status = callStatuses[i % callStatuses.length]!;
      const scheduled = status !== "new";
      return {
        id: seedId("service_call", "h2o", i), tenantId: h2o, customerName: customers[i % customers.length]!,
        customerPhone: `+1813555${String(2000 + i).padStart(4, "0")}`, addressLine1: `${200 + i} Bayshore Blvd`, city: "Tampa", state: "FL",
        problem: problems[i % problems.length]!, priority: priorities[i % priorities.length]!, status,
        windowStart: scheduled ? new Date(day(i % 45).getTime() + 13 * 3_600_000) : null,
        windowEnd: scheduled ? new Date(day(i % 45).getTime() + 17 * 3_600_000) : null,
        assignedTechnician: ["dispatched", "in_progress", "completed", "invoiced"].includes(status) ? technicians[i % technicians.length]! : null,
        resolutionNotes: ["completed", "invoiced"].includes(status) ? "Repaired and tested." : null,
        completedAt: ["completed", "invoiced"].includes(status) ? day(i % 45) : null, invoicedAt: status === "invoiced" ? day(i % 45 + 1) : null,
      };
    }),
  });
  const users = await seedUsers(prisma, ids);
  log.info({ tenants: tenants.map((t) => t.slug), builders: builders.length, jobs: 300, bids: 60, serviceCalls: 140 }, "seeded");
  log.info({ password: DEMO_PASSWORD, users }, "demo users (development only)");
}

/** Every demo user's password (development data only; production never seeds). */
export const DEMO_PASSWORD = "demo-password-h2o";
const roles = ["owner", "admin", "dispatcher", "estimator", "marketer", "viewer"] as const;

/** The demo user with `role` in `tenant` (slug): `<role>@<tenant>.example`, with a stable id. */
export const demoUser = (tenant: string, role: (typeof roles)[number]) => ({
  id: seedId("user", tenant, role),
  email: `${role}@${tenant.replace(/_/g, "-")}.example`,
});

/** One user per role per tenant, plus an office manager who is admin in both. One argon2 hash for all. */
async function seedUsers(prisma: Prisma, tenantIds: Record<string, string>): Promise<string[]> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const emails: string[] = [];
  const members: Array<{ userId: string; tenantId: string; role: (typeof roles)[number] }> = [];
  for (const [slug, tenantId] of Object.entries(tenantIds)) {
    for (const role of roles) {
      const u = demoUser(slug, role);
      await prisma.user.upsert({ where: { email: u.email }, update: {}, create: { id: u.id, email: u.email, name: `${role[0]!.toUpperCase()}${role.slice(1)} (${slug})`, passwordHash } });
      members.push({ userId: u.id, tenantId, role });
      emails.push(u.email);
    }
  }
  const office = { id: seedId("user", "office"), email: "office@h2o-acp.example" };
  await prisma.user.upsert({ where: { email: office.email }, update: {}, create: { ...office, name: "Office Manager", passwordHash } });
  emails.push(office.email);
  for (const tenantId of Object.values(tenantIds)) members.push({ userId: office.id, tenantId, role: "admin" });
  await prisma.membership.createMany({ skipDuplicates: true, data: members });
  return emails;
}
