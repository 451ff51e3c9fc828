// The soak: `npm run bench -- soak [--minutes N] [--sample-seconds S] [--keep]` (30 minutes by default). Mixed
// traffic against the compiled production API and worker (bench/http/processes.ts) on a database of its own: reads,
// mutations, subscribers connecting and leaving, webhook deliveries to a local receiver, a few hostile clients
// (bench/soak/traffic.ts). Samples the API's RSS, heap, event-loop delay, open handles and sockets (its /metrics) and
// the worker's RSS, then prints a table and a verdict: memory flat after the warm-up (the last third of the samples
// against the first), and no unexpected error (a 5xx, INTERNAL_SERVER_ERROR, a 1011 close, a hostile case answered
// otherwise than its refusal, a log line at error or fatal, a process exit). Exits 1 when the verdict fails.
// Environment: BENCH_REDIS_URL (redis://127.0.0.1:6379), DB_POOL_MAX (10); PostgreSQL from TEST_DATABASE_URL's server.
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { seed } from "../../prisma/seed.ts";
import { createPrisma } from "../src/db/client.ts";
import { migrateDeploy } from "../src/db/migrate.ts";
import { repoRoot } from "../src/env.ts";
import { createEmptyDatabase } from "../test/support/database.ts";
import { startWebhookReceiver } from "../test/support/webhook-receiver.ts";
import { exclusiveRun } from "./http/dataset.ts";
import { launchApi, launchWorker, type Server, type ServerSettings } from "./http/processes.ts";
import { login } from "./http/sessions.ts";
import { memoryVerdict, sample, table, type Sample } from "./soak/report.ts";
import { Traffic, type Target } from "./soak/traffic.ts";


function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: false,
    options: { minutes: { type: "string" }, "sample-seconds": { type: "string" }, keep: { type: "boolean" } },
  });
  const num = (v: unknown, def: number) => (typeof v === "string" && Number(v) > 0 ? Number(v) : def);
  const minutes = num(values.minutes, 30);
  return {
    minutes,
    sampleSeconds: num(values["sample-seconds"], 10),
    /** The first tenth of the run, at least one minute (at most the whole run's first third). */
    warmUpSeconds: Math.min(minutes * 20, Math.max(60, minutes * 6)),
    keep: values.keep === true,
    redisUrl: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
    poolMax: Number(process.env.DB_POOL_MAX ?? 10),
  };
}

async function gqlOk(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Log lines at error (50) or fatal (60) in a pino log file. */
function errorLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /"level":(50|60)\b/.test(l));
}

export async function run() {
  const o = options();
  const db = await createEmptyDatabase("h2o_soak");
  const release = await exclusiveRun(db.url, (line) => console.log(line));
  try {
    process.exitCode = (await soak(o, db.url)) ? 0 : 1;
  } finally {
    await release();
    if (o.keep) console.log(`database kept: ${db.url}`);
    else await db.drop();
  }
}

async function soak(o: ReturnType<typeof options>, databaseUrl: string): Promise<boolean> {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`soak of ${o.minutes} min (warm-up ${o.warmUpSeconds} s, a sample every ${o.sampleSeconds} s) on ${databaseUrl}`);
  await migrateDeploy(databaseUrl);
  const prisma = createPrisma(databaseUrl, { DB_POOL_MAX: 2, DB_CONNECTION_TIMEOUT_MS: 10_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 0 });
  await seed(prisma, { info: () => undefined });
  await prisma.tenantConfig.updateMany({ data: { rateLimitPerMinute: 1_000_000_000, apiKeyRateLimitPerMinute: 1_000_000_000, queryCostBudget: 1_000_000_000, queryCostRestoreRate: 1_000_000_000 } });
  await prisma.$disconnect();

  const dir = path.join(repoRoot, "bench-results");
  mkdirSync(dir, { recursive: true });
  const logs = { api: path.join(dir, "soak-api.log"), worker: path.join(dir, "soak-worker.log") };
  for (const f of Object.values(logs)) writeFileSync(f, "");
  const receiver = await startWebhookReceiver();
  const base: Omit<ServerSettings, "logFile"> = {
    databaseUrl, redisUrl: o.redisUrl, poolMax: o.poolMax, logLevel: undefined,
    jwtSecret: "soak-jwt-secret-0123456789abcdefghijklmnop", encryptionKey: "cd".repeat(32),
    // the receiver is on 127.0.0.1 over http, which production refuses unless told
    extraEnv: { WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_LOOPBACK: "true", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "1000000" },
  };
  const api = await launchApi({ ...base, logFile: logs.api });
  const worker = await launchWorker({ ...base, logFile: logs.worker });
  const exits: string[] = [];
  const watch = (s: Server<string>) => s.child.once("exit", (code, signal) => exits.push(`${s.name} exited (${code ?? signal})`));
  watch(api);
  watch(worker);
  console.log(`API pid ${api.pid} at ${api.url}, worker pid ${worker.pid}; logs: ${logs.api}, ${logs.worker}; webhook receiver ${receiver.url()}`);

  const url = `${api.url}/graphql`;
  const signIn = async () => ({ jobs: await login(api.url, "owner@all-county.example", "all_county"), calls: await login(api.url, "dispatcher@h2o.example", "h2o") });
  const target: Target = { url, port: Number(new URL(api.url).port), auth: await signIn(), builderId: "" };
  target.builderId = (await gqlOk(url, target.auth.jobs, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  await gqlOk(url, target.auth.jobs, `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`, {
    input: { url: receiver.url("/soak"), filterTypes: ["job.*"], description: "soak" },
  });

  const traffic = new Traffic(target);
  const started = Date.now();
  const samples: Sample[] = [];
  traffic.start({ readers: 4, writers: 1, subscribers: 6, hostile: 2 });
  const renew = setInterval(() => void signIn().then((a) => (target.auth = a), (err) => console.log(`renewing tokens failed: ${err.message}`)), 10 * 60_000);
  let lastRequests = 0;
  let lastPrint = 0;
  try {
    while (Date.now() - started < o.minutes * 60_000 && !exits.length) {
      await new Promise((r) => setTimeout(r, o.sampleSeconds * 1000));
      const at = (Date.now() - started) / 1000;
      const rps = (traffic.tally.requests - lastRequests) / o.sampleSeconds;
      lastRequests = traffic.tally.requests;
      const s = await sample(api.url, worker.pid, at, rps).catch((err) => (exits.push(`sampling failed: ${err.message}`), null));
      if (!s) break;
      samples.push(s);
      if (at - lastPrint >= 60) {
        lastPrint = at;
        console.log(`${Math.round(at / 60)} min: RSS ${s.rssMiB.toFixed(0)} MiB, heap ${s.heapMiB.toFixed(1)} MiB, loop p99 ${s.loopP99Ms.toFixed(1)} ms, handles ${s.handles}, sockets ${s.sockets}, ${rps.toFixed(0)} req/s, unexpected ${traffic.tally.unexpectedCount}, load ${loadavg()[0]!.toFixed(2)}`);
      }
    }
  } finally {
    clearInterval(renew);
    await traffic.stop();
  }
  // the worker delivers what the last writes caused
  const events = traffic.tally.jobsWritten;
  const drainUntil = Date.now() + 30_000;
  while (receiver.requests.length < events && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 500));
  const delivered = receiver.requests.length;
  const crashed = [...exits]; // before the soak stops them
  await api.stop();
  await worker.stop();
  await receiver.close();

  const t = traffic.tally;
  const logErrors = { api: errorLines(logs.api), worker: errorLines(logs.worker) };
  const memory = memoryVerdict(samples, o.warmUpSeconds);
  const closesNot1000 = [...t.closes].filter(([code]) => code !== 1000);
  const clean = t.unexpectedCount === 0 && !logErrors.api.length && !logErrors.worker.length && !crashed.length && delivered >= events;
  console.log(`\n=== soak: ${((Date.now() - started) / 60_000).toFixed(1)} min, load average now ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(table(samples));
  console.log(`\nrequests ${t.requests}; subscriptions opened ${t.subscriptionsOpened} (events received ${t.subscriptionEvents}); job writes ${t.jobsWritten}, webhook deliveries received ${delivered}`);
  console.log(`outcomes: ${[...t.outcomes].sort().map(([k, n]) => `${k}: ${n}`).join("; ")}`);
  console.log(`subscriber closes: ${[...t.closes].map(([c, n]) => `${c} × ${n}`).join(", ") || "none"}${closesNot1000.length ? " (not 1000: unexpected)" : ""}`);
  for (const line of memory.lines) console.log(`memory: ${line}`);
  console.log(`unexpected: ${t.unexpectedCount}${t.unexpected.length ? `\n  ${t.unexpected.slice(0, 10).join("\n  ")}` : ""}`);
  console.log(`log lines at error/fatal: API ${logErrors.api.length}, worker ${logErrors.worker.length}${[...logErrors.api, ...logErrors.worker].slice(0, 5).map((l) => `\n  ${l.slice(0, 300)}`).join("")}`);
  if (crashed.length) console.log(`processes: ${crashed.join(", ")}`);
  if (delivered < events) console.log(`webhooks: ${events - delivered} of ${events} events not delivered within 30 s of the end`);
  const file = path.join(dir, `soak-${new Date(started).toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ options: o, samples, tally: { ...t, outcomes: Object.fromEntries(t.outcomes), closes: Object.fromEntries(t.closes) }, delivered, logErrors, crashed, memory }, null, 2));
  const ok = memory.flat && clean;
  console.log(`\nverdict: ${ok ? "PASS" : "FAIL"}: memory ${memory.flat ? "flat" : "GROWING"} after warm-up, ${clean ? "zero unexpected errors" : "unexpected errors (above)"}; results: ${file}`);
  return ok;
}
