// Webhooks: signed deliveries per second from the outbox to a local receiver (a process of its own:
// bench/webhooks-receiver.ts) through one worker process of its own (bench/webhooks-worker.ts: the real runner, built-in deliverer), every delivery's signature
// verified and each endpoint's order checked afterwards; and the latency from a mutation's commit (here) to the
// receiver getting it (p50/p99), one event at a time and at a sustained rate.
//
// `npm run bench -- webhooks --baseline <git rev>` first runs this same file against the code of that revision (a
// temporary git worktree sharing this checkout's node_modules, with the Prisma client generated from the revision's own
// schema and a database of its own migrated with its own migrations), then against the working tree: the previous
// figure and the new one, in the same sitting.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Webhook } from "standardwebhooks";
import { seed } from "../../prisma/seed.ts";
import { connectDb, disconnectDb, prisma } from "../src/db/client.ts";
import { tenantOwned } from "../src/db/tenancy.ts";
import { migrateDeploy } from "../src/db/migrate.ts";
import { loadEnv } from "../src/env.ts";
import { runMutation } from "../src/events/pipeline.ts";
import { createLogger } from "../src/logger.ts";
import { configureWebhooks } from "../src/webhooks/runtime.ts";
import { generateWebhookSecret } from "../src/webhooks/signing.ts";
import { sealSecrets } from "../src/webhooks/endpoint-secrets.ts";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { systemContext } from "../src/context.ts";
import type { ReceivedRequest } from "../test/support/webhook-receiver.ts";

const server = process.env.BENCH_DATABASE_SERVER ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 1000);
const ENDPOINTS = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 4);
const LATENCY_SAMPLES = Number(process.env.BENCH_WEBHOOK_LATENCY_SAMPLES ?? 100);
/** Sustained phase: deliveries per second offered (events/s × endpoints), for this many seconds. */
const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 5);
/** Mutations in flight at once in the sustained phase (each is one transaction committing on its own). */
const PRODUCERS = 16;
/** The worker's job slots (graphile-worker concurrency). */
const CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 8);

/** A baseline run that takes longer is stopped (a revision whose worker cannot deliver would otherwise wait for ever). */
const BASELINE_TIMEOUT_MS = 15 * 60_000;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const flag = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
};

export async function run(): Promise<void> {
  const baseline = flag("baseline");
  if (baseline) runBaseline(baseline);
  if (baseline) console.log(`\n--- after: this working tree (${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--untracked-files=no") ? " with uncommitted changes" : ""})`);
  await measure();
}

/** Runs this file against the code of `rev` in a temporary worktree, printing its figures as they come. */
function runBaseline(rev: string): void {
  const api = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const root = path.dirname(api);
  const dir = mkdtempSync(path.join(tmpdir(), "h2o-bench-baseline-"));
  console.log(`--- before: ${rev} (${git("rev-parse", "--short", rev)}), in a temporary worktree`);
  git("worktree", "add", "--detach", dir, rev);
  try {
    symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    if (git("ls-files", "api/node_modules").length === 0) symlinkSync(path.join(api, "node_modules"), path.join(dir, "api", "node_modules"));
    // the revision's own Prisma client, generated from its own schema (its database is migrated with its own
    // migrations by measure()): this checkout's client against another schema made the worker's jobs fail and retry,
    // and the bench wait for deliveries that never came
    const generate = spawnSync("npm", ["run", "generate"], { cwd: path.join(dir, "api"), encoding: "utf8", env: process.env, timeout: 120_000 });
    if (generate.status !== 0) return void console.log(`${generate.stdout}${generate.stderr}(the baseline's Prisma client could not be generated: exit ${generate.status}; no baseline figures)`);
    for (const file of ["webhooks.bench.ts", "webhooks-worker.ts", "webhooks-receiver.ts"]) copyFileSync(path.join(api, "bench", file), path.join(dir, "api", "bench", file));
    const child = spawnSync(process.execPath, ["--import", "tsx", "bench/index.ts", "webhooks"], { cwd: path.join(dir, "api"), stdio: "inherit", env: process.env, timeout: BASELINE_TIMEOUT_MS });
    if (child.status !== 0) console.log(`(the baseline run failed: ${child.error ? child.error.message : `exit ${child.status}`})`);
  } finally {
    git("worktree", "remove", "--force", dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The local receiver, a process of its own (bench/webhooks-receiver.ts). `requests` is this process's copy, brought
 * up to date by `waitForRequests`; `receivedAt` is the receiver's clock (the same machine's).
 */
async function startReceiverProcess() {
  const api = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(api, "bench", "webhooks-receiver.ts")], { cwd: api, stdio: ["ignore", "pipe", "inherit"] });
  const urls = await new Promise<{ url: string; control: string }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!));
    });
    child.once("exit", (code) => reject(new Error(`the bench's receiver process exited (${code})`)));
  });
  const requests: ReceivedRequest[] = [];
  return {
    requests,
    url: (p = "/") => `${urls.url.replace(/\/$/, "")}${p}`,
    async waitForRequests(count: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Number(await (await fetch(`${urls.control}/count`)).text()) < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got fewer than ${count} requests in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      requests.push(...((await (await fetch(`${urls.control}/requests?from=${requests.length}`)).json()) as ReceivedRequest[]));
    },
    close: () => stopProcess(child),
  };
}

/** The bench's worker process on `url`, once it says it is running (`BENCH_WORKER_NODE_OPTIONS`: e.g. `--cpu-prof`). */
async function startWorkerProcess(url: string, env: { JWT_SECRET: string; ENCRYPTION_KEY: string }): Promise<ChildProcess> {
  const api = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeOptions, "--import", "tsx", path.join(api, "bench", "webhooks-worker.ts")], {
    cwd: api,
    env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: url, JWT_SECRET: env.JWT_SECRET, ENCRYPTION_KEY: env.ENCRYPTION_KEY, BENCH_WORKER_CONCURRENCY: String(CONCURRENCY) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`the bench's worker process exited (${code})`)));
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function git(...args: string[]): string {
  return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

async function measure(): Promise<void> {
  const name = `h2o_bench_webhooks_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  const env = loadEnv({ ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: url, JWT_SECRET: "bench-secret-bench-secret-bench-secret-0", ENCRYPTION_KEY: "1".repeat(64) });
  const log = createLogger("silent");
  const receiver = await startReceiverProcess();
  try {
    await migrateDeploy(url);
    connectDb(url, env);
    const settings = configureWebhooks(env);
    await seed(prisma, { info: () => undefined });
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    const builder = await prisma.builder.findFirstOrThrow();
    const secrets = new Map<string, string>();
    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant.id}, true)`;
      for (let i = 0; i < ENDPOINTS; i++) {
        const id = randomUUID();
        const secret = generateWebhookSecret();
        secrets.set(`/ep${i}`, secret);
        await tx.webhookEndpoint.create({ data: { id, tenantId: tenant.id, url: receiver.url(`/ep${i}`), filterTypes: ["job.created"], secrets: sealSecrets(settings.box, id, [{ secret, expiresAt: null }]) } });
      }
    });
    const ctx = (await systemContext(tenant.id, "bench", log, { env, loginLimiter: new LoginLimiter() }, prisma))!;
    const createJob = (community: string) =>
      runMutation(ctx, { entityType: "job", action: "created" }, async (tx) => {
        const job = await tx.job.create({ data: tenantOwned({ builderId: builder.id, community, scheduledDate: new Date("2026-05-01") }) });
        return { result: job, entityId: job.id, before: null, after: job };
      });
    const community = (r: ReceivedRequest) => JSON.parse(r.body).data.object.community as string;

    // 1. throughput: a backlog of EVENTS events in the outbox, then one worker drains it
    for (let i = 0; i < EVENTS; i++) await createJob(`backlog ${i}`);
    const total = EVENTS * ENDPOINTS;
    const worker = await startWorkerProcess(url, env);
    await receiver.waitForRequests(total, 600_000);
    const first = receiver.requests[0]!.receivedAt;
    const seconds = (receiver.requests[total - 1]!.receivedAt - first) / 1000;
    console.log(`backlog → receiver: ${total} signed deliveries (${EVENTS} events × ${ENDPOINTS} endpoints) in ${seconds.toFixed(2)} s from the first receipt to the last = ${(total / seconds).toFixed(0)} deliveries/s (one worker process, concurrency ${CONCURRENCY})`);

    // 2. latency alone: one mutation at a time, commit → receipt at every endpoint
    const committedAt = new Map<string, number>();
    let start = receiver.requests.length;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await createJob(`latency ${i}`);
      committedAt.set(`latency ${i}`, Date.now());
      await new Promise((r) => setTimeout(r, 10));
    }
    await receiver.waitForRequests(start + LATENCY_SAMPLES * ENDPOINTS, 120_000);
    const alone = receiver.requests.slice(start).map((r) => r.receivedAt - committedAt.get(community(r))!).sort((a, b) => a - b);
    console.log(`commit → receipt, one event at a time: p50 ${pct(alone, 50)} ms, p99 ${pct(alone, 99)} ms, max ${alone.at(-1)} ms (${alone.length} deliveries)`);

    // 3. sustained: events committed at RATE / ENDPOINTS per second for SECONDS, commit → receipt of each delivery
    const perSecond = RATE / ENDPOINTS;
    const count = Math.round(perSecond * SECONDS);
    start = receiver.requests.length;
    const s0 = Date.now();
    let next = 0;
    const producer = async () => {
      for (let i = next++; i < count; i = next++) {
        const wait = s0 + (i * 1000) / perSecond - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await createJob(`sustained ${i}`);
        committedAt.set(`sustained ${i}`, Date.now());
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, producer));
    const produced = (Date.now() - s0) / 1000;
    await receiver.waitForRequests(start + count * ENDPOINTS, 120_000);
    const got = receiver.requests.slice(start);
    const span = (Math.max(...got.map((r) => r.receivedAt)) - s0) / 1000;
    const loaded = got.map((r) => r.receivedAt - committedAt.get(community(r))!).sort((a, b) => a - b);
    console.log(
      `sustained: ${count} events × ${ENDPOINTS} endpoints committed over ${produced.toFixed(2)} s (offered ${RATE} deliveries/s, committed ${((count * ENDPOINTS) / produced).toFixed(0)}/s), ` +
        `received at ${((count * ENDPOINTS) / span).toFixed(0)} deliveries/s; commit → receipt p50 ${pct(loaded, 50)} ms, p99 ${pct(loaded, 99)} ms, max ${loaded.at(-1)} ms`,
    );
    await stopProcess(worker);

    // every delivery verified (Standard Webhooks), and each endpoint's first receipts in event order (occurredAt, id)
    for (const r of receiver.requests) new Webhook(secrets.get(r.path)!).verify(r.body, r.headers as Record<string, string>);
    const messages = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant.id}, true)`;
      return tx.webhookMessage.findMany({ where: { eventType: "job.created" }, orderBy: [{ occurredAt: "asc" }, { id: "asc" }], select: { id: true } });
    });
    const position = new Map(messages.map((m, i) => [m.id, i]));
    for (const p of secrets.keys()) {
      const firsts = [...new Set(receiver.requests.filter((r) => r.path === p).map((r) => position.get(r.headers["webhook-id"] as string)!))];
      if (firsts.length !== messages.length || firsts.some((n, i) => i > 0 && n < firsts[i - 1]!)) throw new Error(`${p}: deliveries missing or out of event order`);
    }
    console.log(`checked: ${receiver.requests.length} signatures verified with standardwebhooks; every endpoint got every event, in event order`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, PostgreSQL on 127.0.0.1`);
  } finally {
    await receiver.close();
    await disconnectDb();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
