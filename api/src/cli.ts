// `npm run cli -- <command> [--flag value ...]`: operator commands (CONTRACT.md).
import { parseArgs } from "node:util";
import { seed } from "../../prisma/seed.ts";
import { createPrisma } from "./db/client.ts";
import { resolveDatabase } from "./db/database-url.ts";
import { migrateDeploy } from "./db/migrate.ts";
import { ConfigError, loadEnv } from "./env.ts";
import { createLogger } from "./logger.ts";

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, { help: string; run(url: string, flags: Record<string, string | undefined>): Promise<void> }> = {
  migrate: { help: "apply pending migrations", run: (url) => migrateDeploy(url) },
  seed: {
    help: "create or refresh the demo tenants and data (idempotent)",
    async run(url) {
      const prisma = createPrisma(url, env);
      try {
        await seed(prisma, log);
      } finally {
        await prisma.$disconnect();
      }
    },
  },
};

const env = (() => {
  try {
    return loadEnv();
  } catch (e) {
    if (e instanceof ConfigError) (console.error(e.message), process.exit(2));
    throw e;
  }
})();
const log = createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL, "cli");

if (!command || !commands[command]) {
  console.error(`usage: npm run cli -- <command>\n\n${Object.entries(commands).map(([k, c]) => `  ${k.padEnd(16)} ${c.help}`).join("\n")}`);
  process.exit(command ? 2 : 0);
}
const { values } = parseArgs({ args: rest, strict: false });
const flags = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : undefined]));
const db = await resolveDatabase(env, log);
let code = 0;
try {
  if (command !== "migrate") await migrateDeploy(db.url);
  await commands[command]!.run(db.url, flags);
  console.log(`${command}: done`);
} catch (e) {
  console.error(`${command}: ${(e as Error).message}`);
  code = 1;
} finally {
  await db.stop();
}
process.exit(code);
