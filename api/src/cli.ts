// `npm run cli -- <command> [--flag value ...]`: operator commands (CONTRACT.md).
import { seed } from "../../prisma/seed.ts";
import { apiKeyCreateCommand, userCreateCommand } from "./auth/cli.ts";
import { auditArchiveCommand, auditRestoreCommand } from "./audit/cli.ts";
import path from "node:path";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { createPrisma } from "./db/client.ts";
import { resolveDatabase } from "./db/database-url.ts";
import { migrateDeploy } from "./db/migrate.ts";
import { loadEnvOrExit } from "./env.ts";
import { connectPubSub } from "./events/pubsub.ts";
import { createLogger } from "./logger.ts";
import { keyIdOf, TokenBox } from "./integrations/token-box.ts";
import { reencryptTokens } from "./marketing/reencrypt.ts";

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, { help: string; run(url: string, flags: Record<string, string | undefined>): Promise<void> }> = {
  migrate: { help: "apply pending migrations", run: (url) => migrateDeploy(url) },
  "user:create": { help: "--email E --password P --tenant T --role R [--name N]: create a user (or add one) to a tenant", run: (url, flags) => userCreateCommand(url, env, log, flags) },
  "apikey:create": { help: "--tenant T --name N --scopes S[,S] [--expires-at ISO]: create an API key; prints it once", run: (url, flags) => apiKeyCreateCommand(url, env, log, flags) },
  "audit:archive": { help: "archive expired audit partitions (gzip NDJSON) to AUDIT_ARCHIVE_DIR or the AUDIT_ARCHIVE_S3_BUCKET, then drop them", run: (url) => auditArchiveCommand(url, env) },
  "audit:restore": { help: "load an audit archive back: --file F (idempotent)", run: (url, flags) => auditRestoreCommand(url, env, flags.file) },
  "db:backup": {
    help: "[--file F] [--method pg_dump|copy]: a consistent logical backup (default: pg_dump when it can read the server, else COPY; written under DATA_DIR/backups)",
    async run(url, flags) {
      const file = flags.file === "true" ? undefined : flags.file;
      const { backupDatabase } = await import("./db/backup/commands.ts");
      const done = await backupDatabase(url, { file, method: flags.method, dir: path.join(env.DATA_DIR, "backups") });
      console.log(`db:backup: ${done.file} (${done.method}: ${done.detail})`);
    },
  },
  "db:restore": {
    help: "--file F [--replace]: load a db:backup file into the database, all or nothing (a new database, or --replace)",
    async run(url, flags) {
      const { restoreDatabase } = await import("./db/backup/commands.ts");
      const done = await restoreDatabase(url, flags.file, { replace: flags.replace === "true" });
      console.log(`db:restore: ${flags.file} (${done.method}: ${done.detail})`);
    },
  },
  "tokens:reencrypt": {
    help: "re-seal every stored OAuth token under ENCRYPTION_KEY (old keys in ENCRYPTION_KEY_PREVIOUS); afterwards the old keys are no longer needed",
    async run(url) {
      const prisma = createPrisma(url, env);
      try {
        const counts = await reencryptTokens(prisma, new TokenBox(env.ENCRYPTION_KEY, env.ENCRYPTION_KEY_PREVIOUS));
        console.log(`tokens:reencrypt: ${counts.accounts} channel accounts, ${counts.attempts} connect attempts re-sealed under key ${keyIdOf(env.ENCRYPTION_KEY)}`);
      } finally {
        await prisma.$disconnect();
      }
    },
  },
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
  "seed:large": {
    help: "add a large generated data set for benchmarks/EXPLAIN: --jobs-tenant T --calls-tenant T [--jobs N --bids N --service-calls N --builders N]",
    async run(url, flags) {
      const prisma = createPrisma(url, env);
      const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
      try {
        if (!flags["jobs-tenant"] || !flags["calls-tenant"]) throw new Error("--jobs-tenant and --calls-tenant are required (tenant slugs or ids)");
        const started = Date.now();
        const counts = await generateLargeDataset(prisma, {
          jobsTenant: flags["jobs-tenant"], serviceCallsTenant: flags["calls-tenant"],
          jobs: num(flags.jobs), bids: num(flags.bids), serviceCalls: num(flags["service-calls"]), builders: num(flags.builders),
        });
        console.log(`seed:large: added ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await prisma.$disconnect();
      }
    },
  },
};

// no operator command signs tokens; migrations and backups touch no secret
const env = loadEnvOrExit(["migrate", "db:backup", "db:restore"].includes(command ?? "") ? [] : ["ENCRYPTION_KEY"]);
const log = createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL, "cli");

if (!command || !commands[command]) {
  console.error(`usage: npm run cli -- <command>\n\n${Object.entries(commands).map(([k, c]) => `  ${k.padEnd(16)} ${c.help}`).join("\n")}`);
  process.exit(command ? 2 : 0);
}
const flags = parseFlags(rest);
const db = await resolveDatabase(env, log);
// changes an operator makes reach the API replicas' live subscribers through Redis, as the worker's do
const events = connectPubSub(env, log, db.url);
let code = 0;
try {
  // a backup reads the database as it is; a restore needs it empty (pg_restore) or migrates it itself
  if (!["migrate", "db:backup", "db:restore"].includes(command)) await migrateDeploy(db.url);
  await commands[command]!.run(db.url, flags);
  console.log(`${command}: done`);
} catch (e) {
  console.error(`${command}: ${(e as Error).message}`);
  code = 1;
} finally {
  await events.close();
  await db.stop();
}
process.exit(code);

/** `--key value`, `--key=value` and bare `--flag` (value "true"). */
function parseFlags(args: string[]): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) continue;
    const [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags[key] = inline;
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith("--")) flags[key] = args[++i];
    else flags[key] = "true";
  }
  return flags;
}
