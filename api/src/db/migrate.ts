import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { readdirSync } from "node:fs";
import { Logger as WorkerLogger, runMigrations as runWorkerMigrations } from "graphile-worker";
import { repoRoot } from "../env.ts";
import type { Prisma } from "./client.ts";

const require = createRequire(import.meta.url);

/**
 * Applies pending migrations from prisma/migrations with the ordinary `prisma migrate deploy` (its schema
 * engine runs as WebAssembly: see api/scripts/schema-engine.mjs). Resolves when the database is up to date.
 */
export async function migrateDeploy(databaseUrl: string): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy", "--config", path.join(repoRoot, "prisma.config.ts")], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`prisma migrate deploy failed (exit ${code}):\n${output.join("")}`);
  // graphile-worker's own schema (graphile_worker.add_job): mutations enqueue worker jobs in their transaction
  // (the webhook outbox), so it must exist before the API serves its first mutation, not only once a worker ran.
  await runWorkerMigrations({ connectionString: databaseUrl, logger: quietWorkerLogger });
}

const quietWorkerLogger = new WorkerLogger(() => () => {});

/** The migration directories of prisma/migrations, in order. */
export function migrationNames(): string[] {
  const dir = path.join(repoRoot, "prisma", "migrations");
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** The migrations the database has not applied (or whose apply failed). Throws when the database is unreachable. */
export async function pendingMigrations(db: Prisma, expected: string[]): Promise<string[]> {
  const [exists] = await db.$queryRaw<{ ok: boolean }[]>`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ok`;
  if (!exists?.ok) return expected;
  const rows = await db.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  const applied = new Set(rows.map((r) => r.migration_name));
  return expected.filter((m) => !applied.has(m));
}
