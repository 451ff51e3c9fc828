// Webhooks: deliveries per second from the outbox to a local receiver (signed, one HTTP POST each, through the
// real worker), and the latency from a mutation's commit to the receiver getting the event (p50/p99).
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { cpus } from "node:os";
import pg from "pg";
import { seed } from "../../prisma/seed.ts";
import { connectDb, disconnectDb, prisma } from "../src/db/client.ts";
import { tenantOwned } from "../src/db/tenancy.ts";
import { migrateDeploy } from "../src/db/migrate.ts";
import { loadEnv } from "../src/env.ts";
import { runMutation } from "../src/events/pipeline.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";
import { registerWebhookOutbox } from "../src/webhooks/outbox.ts";
import { configureWebhooks } from "../src/webhooks/runtime.ts";
import { generateWebhookSecret } from "../src/webhooks/signing.ts";
import { sealSecrets } from "../src/webhooks/store.ts";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { systemContext } from "../src/context.ts";
import { startWebhookReceiver } from "../test/support/webhook-receiver.ts";

const server = process.env.BENCH_DATABASE_SERVER ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 1000);
const ENDPOINTS = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 4);
const LATENCY_SAMPLES = Number(process.env.BENCH_WEBHOOK_LATENCY_SAMPLES ?? 200);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function run(): Promise<void> {
  const name = `h2o_bench_webhooks_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  const env = loadEnv({ ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: url, JWT_SECRET: "bench-secret-bench-secret-bench-secret-0", ENCRYPTION_KEY: "1".repeat(64) });
  const log = createLogger("silent");
  const receiver = await startWebhookReceiver();
  try {
    await migrateDeploy(url);
    connectDb(url, env);
    const settings = configureWebhooks(env);
    registerWebhookOutbox();
    await seed(prisma, { info: () => undefined });
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    const builder = await prisma.builder.findFirstOrThrow();
    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant.id}, true)`;
      for (let i = 0; i < ENDPOINTS; i++) {
        const id = randomUUID();
        await tx.webhookEndpoint.create({ data: { id, tenantId: tenant.id, url: receiver.url(`/ep${i}`), filterTypes: ["job.created"], secrets: sealSecrets(settings.box, id, [{ secret: generateWebhookSecret(), expiresAt: null }]) } });
      }
    });
    const ctx = (await systemContext(tenant.id, "bench", log, { env, loginLimiter: new LoginLimiter() }, prisma))!;
    const createJob = (community: string) =>
      runMutation(ctx, { entityType: "job", action: "created" }, async (tx) => {
        const job = await tx.job.create({ data: tenantOwned({ builderId: builder.id, community, scheduledDate: new Date("2026-05-01") }) });
        return { result: job, entityId: job.id, before: null, after: job };
      });

    // 1. throughput: a backlog of EVENTS events in the outbox, then the worker drains it
    for (let i = 0; i < EVENTS; i++) await createJob(`backlog ${i}`);
    const total = EVENTS * ENDPOINTS;
    const t0 = performance.now();
    const worker = await startWorker(env, url, log, 8);
    await receiver.waitForRequests(total, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`outbox → receiver: ${total} signed deliveries (${EVENTS} events × ${ENDPOINTS} endpoints) in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} deliveries/s (worker concurrency 8, serial per endpoint)`);

    // 2. latency: one mutation at a time, commit → receipt at the (single subscribed) endpoints
    const committedAt = new Map<string, number>();
    const start = receiver.requests.length;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const community = `latency ${i}`;
      await createJob(community);
      committedAt.set(community, Date.now());
      await new Promise((r) => setTimeout(r, 10));
    }
    await receiver.waitForRequests(start + LATENCY_SAMPLES * ENDPOINTS, 120_000);
    const latencies = receiver.requests
      .slice(start)
      .filter((r) => r.path === "/ep0")
      .map((r) => r.receivedAt - committedAt.get(JSON.parse(r.body).data.object.community)!)
      .sort((a, b) => a - b);
    console.log(`commit → receipt: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies.at(-1)} ms (${latencies.length} events, one at a time)`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, PostgreSQL on 127.0.0.1`);
    await worker.stop();
  } finally {
    await receiver.close();
    await disconnectDb();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
