// The request path, measured against its floor: `npm run bench -- http [--duration S] [--connections 1,10,50]
// [--scenario a,b] [--rounds N] [--no-postgraphile] [--verify-statements] [--cpu-prof]`. Seeds (or reuses) a large data set in a
// dedicated database, starts the API in production mode, the baseline (api/bench/baseline/: bare node:http + pg, same
// rows, same JSON) and PostGraphile V5 (api/bench/postgraphile/: amber preset, same pool, same JWT, same row-level
// security) as three processes, and runs autocannon against each in turn (API, baseline, PostGraphile), per scenario
// and connection count; PostGraphile only in the scenarios it answers (jobs-board, jobs-board-no-count, node,
// typename-user), and not at all with --no-postgraphile. Prints req/s, p50/p99, CPU ms per request (/proc), SQL
// statements per request (counted at the pg driver in each process), resident memory (at start, idle, and the API's at the end of each run), and the API/baseline
// and PostGraphile/baseline ratios of the same run; writes the same as JSON under bench-results/.
// Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/h2o_bench_<migrations hash>),
// BENCH_REDIS_URL, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SCENARIOS, BENCH_JOBS (50000), DB_POOL_MAX (10),
// BENCH_LOG_LEVEL (unset: the API's default, as in production). One http bench at a time per PostgreSQL server.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../src/env.ts";
import { defaultBenchUrl, exclusiveRun, poolState, prepareDataset, type Dataset } from "./http/dataset.ts";
import { compare, comparePostGraphile, JobLeases, measure, statementsPerRequest } from "./http/load.ts";
import { anonMiB, launchApi, launchBaseline, launchPostGraphile, rssMiB, type ServerSettings } from "./http/processes.ts";
import { login } from "./http/sessions.ts";
import { HEADER, PG_HEADER, roundsSummary, row, summary, table, writeJson, type ScenarioReport } from "./http/report.ts";
import { postgraphileAnswers, postgraphileNodeId, scenarios, type Fixtures } from "./http/scenarios.ts";
import { verifyStatementCount } from "./http/verify-statements.ts";


/** How long the servers sit without requests before their idle memory is read. */
const IDLE_SECONDS = 15;

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: false,
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      scenario: { type: "string" },
      "verify-statements": { type: "boolean" },
      "cpu-prof": { type: "boolean" },
      rounds: { type: "string" },
    },
  });
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  const wanted = list(str(values.scenario) ?? process.env.BENCH_SCENARIOS ?? "");
  const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${scenarios.map((s) => s.name).join(", ")}`);
  const rounds = Number(str(values.rounds) ?? process.env.BENCH_HTTP_ROUNDS ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number of at least 1, not ${str(values.rounds) ?? process.env.BENCH_HTTP_ROUNDS}`);
  return {
    rounds,
    seconds: Number(str(values.duration) ?? process.env.BENCH_DURATION ?? 10),
    connections: list(str(values.connections) ?? process.env.BENCH_CONNECTIONS ?? "1,10,50").map(Number),
    scenarios: wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios,
    verifyStatements: values["verify-statements"] === true,
    databaseUrl: process.env.BENCH_DATABASE_URL ?? defaultBenchUrl(),
    redisUrl: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
    jobs: Number(process.env.BENCH_JOBS ?? 50_000),
    poolMax: Number(process.env.DB_POOL_MAX ?? 10),
    logLevel: process.env.BENCH_LOG_LEVEL,
    cpuProfile: values["cpu-prof"] === true,
    // parseArgs on Node 20 has no negated booleans: the flag is read as it is written
    postgraphile: !process.argv.includes("--no-postgraphile") && process.env.BENCH_POSTGRAPHILE !== "0",
  };
}

/** Fresh sessions (access tokens live 15 minutes) of the users the scenarios act as, and the API key. */
async function fixtures(dataset: Dataset, signIn: (email: string, tenant: string) => Promise<Record<string, string>>): Promise<Fixtures> {
  return {
    headers: {
      "jobs-user": await signIn("owner@all-county.example", dataset.jobsTenant.slug),
      "calls-user": await signIn("dispatcher@h2o.example", dataset.callsTenant.slug),
      "api-key": { authorization: `Bearer ${dataset.apiKey}` },
    },
    nodeJobGlobalId: Buffer.from(`Job:${dataset.nodeJobId}`).toString("base64"),
    postgraphileNodeJobId: postgraphileNodeId("Job", dataset.nodeJobId),
  };
}

export async function run() {
  const o = options();
  const release = await exclusiveRun(o.databaseUrl, (line) => console.log(line));
  try {
    await measureAll(o);
  } finally {
    await release();
  }
}

async function measureAll(o: ReturnType<typeof options>) {
  const started = new Date();
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; shared and noisy: compare ratios of the same run, not absolute figures`);
  const dataset = await prepareDataset(o.databaseUrl, o.jobs, (line) => console.log(line));
  console.log(`data set: ${dataset.url} (${dataset.jobs} jobs in ${dataset.jobsTenant.slug}); pool of ${o.poolMax} connections in each server`);
  const logFile = path.join(repoRoot, "bench-results", "http-servers.log");
  mkdirSync(path.dirname(logFile), { recursive: true });
  writeFileSync(logFile, "");
  const settings: ServerSettings = {
    databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, poolMax: o.poolMax, logLevel: o.logLevel, logFile,
    jwtSecret: "bench-jwt-secret-0123456789abcdefghijklmnop", encryptionKey: "ab".repeat(32),
    cpuProfileDir: o.cpuProfile ? path.join(repoRoot, "bench-results", "cpu-profiles") : undefined,
  };
  if (o.verifyStatements) return verifyStatementCount(settings, dataset, o.scenarios, (signIn) => fixtures(dataset, signIn), login);

  const api = await launchApi(settings);
  const baseline = await launchBaseline(settings);
  const postgraphile = o.postgraphile && o.scenarios.some(postgraphileAnswers) ? await launchPostGraphile(settings) : null;
  // resident memory right after start (start-up's garbage still in the heap), then idle: after IDLE_SECONDS without a
  // request, when V8's memory reducer has run (it waits for a few seconds of low allocation)
  const rssOf = () => ({ api: rssMiB(api.pid), baseline: rssMiB(baseline.pid), ...(postgraphile ? { postgraphile: rssMiB(postgraphile.pid) } : {}) });
  const rssStartMiB = rssOf();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const rssIdleMiB = rssOf();
  const anonIdleMiB = anonMiB(api.pid);
  const mib = (at: Record<string, number>, who: string) => `${at[who]!.toFixed(0)} MiB`;
  console.log(
    `resident memory at start / idle (${IDLE_SECONDS} s without requests): API (pid ${api.pid}) ${mib(rssStartMiB, "api")} / ${mib(rssIdleMiB, "api")} (${anonIdleMiB.toFixed(0)} MiB its own: RssAnon); ` +
      `baseline (pid ${baseline.pid}) ${mib(rssStartMiB, "baseline")} / ${mib(rssIdleMiB, "baseline")}` +
      (postgraphile ? `; PostGraphile (pid ${postgraphile.pid}) ${mib(rssStartMiB, "postgraphile")} / ${mib(rssIdleMiB, "postgraphile")}` : "") +
      `; server logs: ${logFile}`,
  );
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of o.scenarios) {
      const fx = await fixtures(dataset, (email, tenant) => login(api.url, email, tenant));
      const leases = async () => new JobLeases(await poolState(dataset.url, dataset.mutationPool));
      const pg = postgraphile && postgraphileAnswers(scenario) ? postgraphile : null;
      const mismatches = [...(await compare(api, baseline, scenario, fx, await leases())), ...(pg ? await comparePostGraphile(api, pg, scenario, fx) : [])];
      const sqlPerRequest = {
        api: await statementsPerRequest(api, scenario, fx, await leases()),
        baseline: await statementsPerRequest(baseline, scenario, fx, await leases()),
        ...(pg ? { postgraphile: await statementsPerRequest(pg, scenario, fx, await leases()) } : {}),
      };
      console.log(
        `\n--- ${scenario.name}: SQL statements per warm request: API ${sqlPerRequest.api.toFixed(2)}, baseline ${sqlPerRequest.baseline.toFixed(2)}` +
          (pg ? `, PostGraphile ${sqlPerRequest.postgraphile!.toFixed(2)}` : ""),
      );
      for (const m of mismatches) console.log(`  MISMATCH ${m}`);
      const report: ScenarioReport = { scenario: scenario.name, sqlPerRequest, mismatches, runs: [] };
      for (const connections of o.connections) {
        // --rounds: the API, the baseline and PostGraphile in turn, again and again, so each ratio has a spread
        for (let round = 1; round <= o.rounds; round++) {
          const apiRun = await measure(api, scenario, fx, await leases(), connections, o.seconds);
          const baseRun = await measure(baseline, scenario, fx, await leases(), connections, o.seconds);
          const pgRun = pg ? await measure(pg, scenario, fx, await leases(), connections, o.seconds) : undefined;
          report.runs.push({ api: apiRun, baseline: baseRun, ratio: apiRun.rps / baseRun.rps, ...(pgRun ? { postgraphile: pgRun, postgraphileRatio: pgRun.rps / baseRun.rps } : {}) });
          const lines = table([pg ? [...HEADER, ...PG_HEADER] : HEADER, row(apiRun, baseRun, pgRun)]).split("\n");
          console.log((report.runs.length === 1 ? lines : lines.slice(1)).join("\n"));
        }
      }
      reports.push(report);
    }
  } finally {
    await api.stop();
    await baseline.stop();
    await postgraphile?.stop();
  }
  console.log(
    `\n=== summary (API/baseline: the API's req/s over the baseline's, measured right after it; PG/baseline: PostGraphile's over the same baseline run, measured right after it)\n${summary(reports)}`,
  );
  if (o.rounds > 1) console.log(`\n=== median of ${o.rounds} rounds (in brackets: the lowest and the highest round)\n${roundsSummary(reports)}`);
  const mismatched = reports.filter((r) => r.mismatches.length).map((r) => r.scenario);
  if (mismatched.length) console.log(`\nWARNING: the baseline's or PostGraphile's data differed from the API's in ${mismatched.join(", ")}: those ratios compare different answers`);
  console.log("the baseline's changeJobStatus does less than the API's: no row-level security, no actor label in the audit row (api/bench/baseline/change-job-status.ts)");
  const options_ = { ...o, scenarios: o.scenarios.map((s) => s.name) };
  const file = writeJson({ started, options: options_, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, rssStartMiB, rssIdleMiB, anonIdleMiB, reports });
  console.log(`results: ${file}`);
  if (settings.cpuProfileDir) console.log(`API CPU profile (open in Chrome DevTools or speedscope): ${settings.cpuProfileDir}`);
}
