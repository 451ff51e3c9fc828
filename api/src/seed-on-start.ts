import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";
import { createPrisma } from "./db/client.ts";
import { seed } from "../../prisma/seed.ts";

/** Seeds demo data when the database has no tenant yet (the first run of `npm start`). */
export async function seedIfEmpty(url: string, env: Env, log: Logger): Promise<void> {
  const prisma = createPrisma(url, env);
  try {
    if ((await prisma.tenant.count()) > 0) return;
    log.info("first run: seeding demo data");
    await seed(prisma, log);
  } finally {
    await prisma.$disconnect();
  }
}
