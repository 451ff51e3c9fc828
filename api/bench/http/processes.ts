// The servers `npm run bench -- http` compares (the API, the baseline and PostGraphile), each a child process of its own with the statement counter
// preloaded (count-statements.mjs), and what the bench reads of them: CPU time and resident memory from /proc,
// the SQL statement count from the counter's side port.
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildIfChanged } from "../../src/build/cached-build.ts";
import { apiBuild } from "../../src/build/targets.ts";
import { repoRoot } from "../../src/env.ts";
import { freePort } from "../../test/support/ports.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const counter = path.join(here, "count-statements.mjs");
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

export interface ServerSettings {
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  encryptionKey: string;
  poolMax: number;
  logLevel: string | undefined;
  /** Where the child's stdout and stderr go (a file under bench-results/). */
  logFile: string;
  /** When set, the API writes a V8 CPU profile (`node --cpu-prof`) of the whole bench into this folder when it stops. */
  cpuProfileDir?: string;
  /** More environment for the API and worker (the soak allows webhooks to its local receiver). */
  extraEnv?: Record<string, string>;
}

export interface Server<Name extends string = "api" | "baseline" | "postgraphile"> {
  name: Name;
  url: string;
  pid: number;
  child: ChildProcess;
  statsPort: number;
  stop(): Promise<void>;
}

/**
 * Starts the API as production runs it (`npm start`): the compiled JavaScript in api/dist, built first when its
 * sources changed since the last build (the same cached build `npm start` uses).
 */
export async function launchApi(s: ServerSettings): Promise<Server> {
  await buildIfChanged(apiBuild);
  const entry = ["api/dist/main.js"];
  const port = await freePort();
  const profile = s.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${s.cpuProfileDir}`] : [];
  const flags = (process.env.BENCH_API_NODE_FLAGS ?? "").split(" ").filter(Boolean); // experiments: V8/node flags for the API only
  return start("api", port, [...flags, ...profile, ...entry], {
    NODE_ENV: "production",
    API_HOST: "127.0.0.1",
    API_PORT: String(port),
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    REDIS_KEY_PREFIX: "h2o-bench:",
    JWT_SECRET: s.jwtSecret,
    ENCRYPTION_KEY: s.encryptionKey,
    DB_POOL_MAX: String(s.poolMax),
    MALLOC_ARENA_MAX: "2", // as npm start and docker-compose run it
    // the benches' users send documents of their own as text, which production (trusted documents) allows API keys only
    GRAPHQL_TRUSTED_DOCUMENTS: "off",
    ...(s.logLevel ? { LOG_LEVEL: s.logLevel } : {}),
    ...s.extraEnv,
  }, s.logFile, "/readyz");
}

/** Starts the worker as production runs it (api/dist/worker.js), on the API's database and Redis; ready once it has started. */
export async function launchWorker(s: ServerSettings): Promise<Server<"worker">> {
  await buildIfChanged(apiBuild);
  return start("worker", null, ["api/dist/worker.js"], {
    NODE_ENV: "production",
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    REDIS_KEY_PREFIX: "h2o-bench:",
    JWT_SECRET: s.jwtSecret,
    ENCRYPTION_KEY: s.encryptionKey,
    ...(s.logLevel ? { LOG_LEVEL: s.logLevel } : {}),
    ...s.extraEnv,
  }, s.logFile, null);
}

/** Starts the baseline (api/bench/baseline/server.ts): bare node:http + pg over the same database. */
export async function launchBaseline(s: ServerSettings): Promise<Server> {
  const port = await freePort();
  return start("baseline", port, ["--import", "tsx", "api/bench/baseline/server.ts"], {
    BASELINE_PORT: String(port),
    DATABASE_URL: s.databaseUrl,
    REDIS_URL: s.redisUrl,
    REDIS_KEY_PREFIX: "h2o-bench:",
    JWT_SECRET: s.jwtSecret,
    DB_POOL_MAX: String(s.poolMax),
  }, s.logFile, "/healthz");
}

/**
 * Starts PostGraphile V5 (api/bench/postgraphile/server.ts) in production mode over the same database, with the same
 * pool size and JWT secret. It listens once its schema is built; GET /graphql then answers 405 (POST only).
 */
export async function launchPostGraphile(s: ServerSettings): Promise<Server> {
  const port = await freePort();
  return start("postgraphile", port, ["--import", "tsx", "api/bench/postgraphile/server.ts"], {
    POSTGRAPHILE_PORT: String(port),
    DATABASE_URL: s.databaseUrl,
    JWT_SECRET: s.jwtSecret,
    DB_POOL_MAX: String(s.poolMax),
    NODE_ENV: "production",
    GRAPHILE_ENV: "production",
  }, s.logFile, "/graphql", 405);
}

/** Spawns a server; with a `readyPath`, waits until it answers `readyStatus` there; without one, until it has run 2 s. */
async function start<Name extends string>(name: Name, port: number | null, args: string[], env: Record<string, string>, logFile: string, readyPath: string | null, readyStatus = 200): Promise<Server<Name>> {
  const statsPort = await freePort();
  const log = createWriteStream(logFile, { flags: "a" });
  await new Promise((r) => log.once("open", r));
  const child = spawn(process.execPath, ["--import", counter, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ, BENCH_STATS_PORT: String(statsPort), ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", log, log],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} while starting; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready after 60 s; see ${logFile}`);
    if (readyPath === null) {
      await new Promise((r) => setTimeout(r, 2_000));
      if (child.exitCode !== null) continue;
      break;
    }
    const res = await fetch(url + readyPath).catch(() => null);
    if (res?.status === readyStatus) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name,
    url,
    pid: child.pid!,
    child,
    statsPort,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

/** User + system CPU time of a process so far, in milliseconds (/proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // after the command: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resident memory of a process, in MiB (VmRSS of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  return statusMiB(pid, "VmRSS");
}

/**
 * The process's own part of its resident memory, in MiB (RssAnon: heap, stacks, malloc'd memory): VmRSS also counts
 * the pages of files it maps (the node binary and its libraries, shared with every node process), and how many of
 * those are resident varies from one day to the next (30-50 MiB here).
 */
export function anonMiB(pid: number): number {
  return statusMiB(pid, "RssAnon");
}

function statusMiB(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(line?.match(/(\d+)/)?.[1] ?? Number.NaN) / 1024;
}

/** The SQL statements the server has sent so far (its preloaded counter). */
export async function statements(server: Server): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.statsPort}/`);
  return ((await res.json()) as { statements: number }).statements;
}

/** The server's memory in MiB as its preloaded counter reports it: RSS, V8 heap (total, used, by space), external. */
export async function memory(server: Server, afterGc = false): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${server.statsPort}/${afterGc ? "gc" : ""}`);
  return ((await res.json()) as { memory: Record<string, unknown> }).memory;
}

/** Waits until the server has sent no statement for `quietMs` (requests cut off at the end of a run finish). */
export async function settle(server: Server, quietMs = 150): Promise<number> {
  let last = await statements(server);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = await statements(server);
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** CPU time (user + system, ms) used so far by every PostgreSQL process of this machine (the server and its backends). */
export function postgresCpuMs(): number {
  let ms = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (/^(postgres|postmaster)/.test(readFileSync(`/proc/${pid}/comm`, "utf8"))) ms += cpuMs(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return ms;
}
