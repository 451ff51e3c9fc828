// Demo data for development: `npm run seed` (idempotent) and the first `npm start`.
// This is the one place, with tests, where today's tenants are named.
import type { Prisma } from "../api/src/db/client.ts";
import type { Logger } from "../api/src/logger.ts";

export async function seed(prisma: Prisma, log: Pick<Logger, "info">): Promise<void> {
  const tenants = [
    { slug: "all_county", name: "All County Plumbing", timezone: "America/New_York" },
    { slug: "h2o", name: "H2O Plumbing", timezone: "America/New_York" },
  ];
  for (const t of tenants) {
    await prisma.tenant.upsert({ where: { slug: t.slug }, update: {}, create: t });
  }
  log.info({ tenants: tenants.map((t) => t.slug) }, "seeded");
}
