// The overview's figures (issue 17): `npm run bench -- figures`. Each aggregate field, asked alone over HTTP of a
// running API (`api/src/main.ts`, as a process of its own) on the http bench's data set (api/bench/http/dataset.ts:
// 50,000 jobs and 20,000 bids in all_county, 50,000 service calls in h2o), sequentially, FIGURES_BENCH_REQUESTS
// times (default 200) after a warm-up and a VACUUM ANALYZE of the four tables: the whole request's latency, p50 / p95 / max, against a 20 ms budget. A
// request's time includes authentication, parsing, authorization and the response, so the SQL takes less. On a
// shared machine the p95 carries the other processes' load: compare with the last line, `{ __typename }` alone.
import { spawn } from "node:child_process";
import { cpus } from "node:os";
import pg from "pg";
import { repoRoot } from "../src/env.ts";
import { TEST_JWT_SECRET } from "../test/support/app.ts";
import { as } from "../test/support/domain.ts";
import { freePort } from "../test/support/ports.ts";
import { CALLS_TENANT, defaultBenchUrl, exclusiveRun, JOBS_TENANT, prepareDataset } from "./http/dataset.ts";

const BUDGET_MS = 20;
const REQUESTS = Number(process.env.FIGURES_BENCH_REQUESTS ?? 200);
const cases: Array<{ name: string; tenant: string; role?: "owner" | "admin"; query: string }> = [
  { name: "jobFigures.byStatus", tenant: JOBS_TENANT, query: `{ jobFigures { byStatus { status count } } }` },
  { name: "jobFigures.byBuilder(first: 10)", tenant: JOBS_TENANT, query: `{ jobFigures { byBuilder(first: 10) { builderId builderName total open byStatus { status count } } } }` },
  { name: "jobFigures.scheduledByWeek(weeks: 8)", tenant: JOBS_TENANT, query: `{ jobFigures { scheduledByWeek(weeks: 8) { start count } } }` },
  { name: "serviceCallFigures.today", tenant: CALLS_TENANT, query: `{ serviceCallFigures { today { from to total byPriorityAndStatus { priority status count } } } }` },
  { name: "serviceCallFigures.thisWeek", tenant: CALLS_TENANT, query: `{ serviceCallFigures { thisWeek { from to total byPriorityAndStatus { priority status count } } } }` },
  { name: "serviceCallFigures.open", tenant: CALLS_TENANT, query: `{ serviceCallFigures { open { priority status count } } }` },
  { name: "serviceCallFigures.openEmergencies", tenant: CALLS_TENANT, query: `{ serviceCallFigures { openEmergencies { count oldestCreatedAt oldestAgeSeconds } } }` },
  { name: "bidFigures.byStatus", tenant: JOBS_TENANT, query: `{ bidFigures { byStatus { status count amountCents } } }` },
  { name: "bidFigures.winRateByMonth(months: 12)", tenant: JOBS_TENANT, query: `{ bidFigures { winRateByMonth(months: 12) { start won lost winRate } } }` },
  { name: "webhookDeliveryFigures(hours: 24)", tenant: JOBS_TENANT, role: "admin", query: `{ webhookDeliveryFigures(hours: 24) { pending succeeded failed successRate } }` },
  { name: "typename (the request path alone)", tenant: JOBS_TENANT, query: `{ __typename }` },
];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function run(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? defaultBenchUrl();
  const log = (line: string) => console.log(line);
  const release = await exclusiveRun(url, log);
  const dataset = await prepareDataset(url, 50_000, log);
  // as autovacuum leaves a table that has settled: the visibility map lets the figures read their indexes alone
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`VACUUM ANALYZE "Job", "Bid", "ServiceCall", "WebhookDelivery"`).finally(() => admin.end());
  const port = await freePort();
  const server = spawn(process.execPath, ["--import", "tsx", "api/src/main.ts"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", LOG_LEVEL: "error", API_PORT: String(port), DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  let over = 0;
  try {
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 200)))
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; data set: ${dataset.jobs} jobs in ${JOBS_TENANT}; ${REQUESTS} sequential requests per figure`);
    console.log("figure | p50 ms | p95 ms | max ms | within 20 ms (p95)");
    for (const c of cases) {
      const headers = { "content-type": "application/json", ...as(c.tenant, c.role ?? "owner") };
      const ask = async () => {
        const started = process.hrtime.bigint();
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: c.query }) });
        const body = (await res.json()) as { errors?: unknown };
        if (body.errors) throw new Error(`${c.name}: ${JSON.stringify(body.errors)}`);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      for (let i = 0; i < 10; i++) await ask();
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) times.push(await ask());
      times.sort((a, b) => a - b);
      const ok = pct(times, 95) < BUDGET_MS;
      if (!ok) over++;
      console.log(`${c.name} | ${pct(times, 50).toFixed(2)} | ${pct(times, 95).toFixed(2)} | ${times.at(-1)!.toFixed(2)} | ${ok ? "yes" : "NO"}`);
    }
    console.log(over ? `${over} figure(s) over ${BUDGET_MS} ms at p95` : `every figure within ${BUDGET_MS} ms at p95`);
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    await release();
  }
}
