// `npm run bench -- request-cpu`: the API's own CPU per request, in process (yoga.fetch: no sockets, no autocannon,
// no other server sharing the cores), for documents of the jobs board that differ by one thing each, so the cost of
// each part shows: the fixed cost of a request ({ __typename }), of a list read (one column, one row), of a row, of a
// relation; of a node lookup (node(id:) of a job with the board's fields); and of a change through the mutation pipeline (changeJobStatus: its transaction, audit row, outbox message
// and worker job, publish). The http bench's data set and database (npm run bench -- http prepares it). Each document runs in rounds,
// alternating with the others; the best round is printed (µs of CPU per request, user + system, at 10 in flight), with
// the CPU PostgreSQL's processes used in that round per request (from /proc: the server's whole work, so keep the
// machine otherwise quiet).
// `--cpu-prof` (node's own flag, before the script) profiles it. Options: BENCH_REQUESTS (per round, default 2000),
// BENCH_ROUNDS (default 5), BENCH_ONLY (run only the documents whose names contain it: `BENCH_ONLY=changeJobStatus`).
import { defaultBenchUrl, exclusiveRun, prepareDataset } from "./http/dataset.ts";
import { postgresCpuMs } from "./http/processes.ts";
import { CHANGE_JOB_STATUS, nextStatus } from "./http/scenarios.ts";

/** Stands for the mutation in DOCUMENTS: its body is made per request (the job's id, version and next status). */
const CHANGE = "mutation";
const BOARD = (first: number, fields: string) => `{ jobs(first: ${first}) { edges { node { ${fields} } } } }`;
const DOCUMENTS: Record<string, string> = {
  "{ __typename }": "{ __typename }",
  "1 job, lot": BOARD(1, "lot"),
  "25 jobs, lot": BOARD(25, "lot"),
  "25 jobs, 4 columns": BOARD(25, "id status community lot"),
  "25 jobs + builder (the board)": BOARD(25, "id status community lot builder { id name }"),
  "100 jobs + builder": BOARD(100, "id status community lot builder { id name }"),
  "changeJobStatus (the pipeline)": CHANGE,
};

export async function run() {
  const only = process.env.BENCH_ONLY;
  if (only) for (const name of Object.keys(DOCUMENTS)) if (!name.includes(only)) delete DOCUMENTS[name];
  process.env.NODE_ENV = "production"; // before graphql is loaded: its production mode skips realm checks
  const url = process.env.BENCH_DATABASE_URL ?? defaultBenchUrl();
  const release = await exclusiveRun(url, (line) => console.log(line));
  try {
    const dataset = await prepareDataset(url, Number(process.env.BENCH_JOBS ?? 50_000), (line) => console.log(line));
    const { loadEnv } = await import("../src/env.ts");
    const { buildApp } = await import("../src/server.ts");
    const { createLogger } = await import("../src/logger.ts");
    const env = loadEnv({
      ...process.env,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      GRAPHQL_TRUSTED_DOCUMENTS: "off",
      JWT_SECRET: "bench-secret-bench-secret-bench-secret-01",
      ENCRYPTION_KEY: "ab".repeat(32),
      REDIS_URL: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
      DATABASE_URL: url,
    });
    const app = buildApp(env, { databaseUrl: url, log: createLogger("warn") });
    const post = async (body: unknown, headers: Record<string, string> = {}) => {
      const res = await app.yoga.fetch("http://bench/graphql", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"errors"')) throw new Error(`request failed (${res.status}): ${text.slice(0, 300)}`);
      return JSON.parse(text) as { data: Record<string, any> };
    };
    try {
      const login = await post({ query: `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, variables: { e: "owner@all-county.example", p: "demo-password-h2o" } });
      const headers = { authorization: `Bearer ${login.data.login.accessToken}`, "x-tenant-id": dataset.jobsTenant.slug };
      const perRound = Number(process.env.BENCH_REQUESTS ?? 2_000);
      const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
      const inFlight = 10;
      // the mutation's jobs: each in-flight sender moves its own jobs SCHEDULED <-> ON_HOLD, so no move conflicts
      const pool = await post({ query: `{ jobs(first: 100, filter: { status: [SCHEDULED, ON_HOLD] }) { edges { node { id status version } } } }` }, headers);
      const jobs = (pool.data.jobs.edges as { node: { id: string; status: string; version: number } }[]).map((e) => ({ ...e.node, status: e.node.status.toLowerCase() }));
      if (jobs.length < inFlight) throw new Error(`the data set has ${jobs.length} scheduled or on-hold jobs; ${inFlight} are needed`);
      const owned = Array.from({ length: inFlight }, (_, sender) => jobs.filter((_, k) => k % inFlight === sender));
      const move = async (sender: number, turn: number) => {
        const own = owned[sender]!;
        const job = own[turn % own.length]!;
        const status = nextStatus(job);
        const res = await post({ query: CHANGE_JOB_STATUS, variables: { input: { id: job.id, expectedVersion: job.version, status: status.toUpperCase() } } }, headers);
        const moved = res.data.changeJobStatus.job as { version: number };
        job.version = moved.version;
        job.status = status;
      };
      const send = async (query: string, n: number) => {
        let i = 0;
        await Promise.all(
          Array.from({ length: inFlight }, async (_, sender) => {
            for (let turn = 0; i++ < n; turn++) await (query === CHANGE ? move(sender, turn) : post({ query }, headers));
          }),
        );
      };
      // node(id:): a job of the board by its id, with the board's fields
      const NODE = "node(id:) job + builder";
      if (!only || NODE.includes(only)) DOCUMENTS[NODE] = `{ node(id: "${jobs[0]!.id}") { id ... on Job { status community lot builder { id name } } } }`;
      for (const query of Object.values(DOCUMENTS)) await send(query, 300); // warm: plans, caches, JIT
      const best: Record<string, { api: number; pg: number }> = {};
      for (let r = 0; r < rounds; r++) {
        for (const [name, query] of Object.entries(DOCUMENTS)) {
          const n = query === CHANGE ? Math.ceil(perRound / 4) : perRound;
          const pgBefore = postgresCpuMs();
          const before = process.cpuUsage();
          await send(query, n);
          const used = process.cpuUsage(before);
          const api = (used.user + used.system) / n;
          if (api < (best[name]?.api ?? Infinity)) best[name] = { api, pg: ((postgresCpuMs() - pgBefore) * 1000) / n };
        }
      }
      console.log(`CPU per request, in process (best of ${rounds} rounds of ${perRound}, a quarter of that for the mutation, ${inFlight} in flight):`);
      console.log(`${"".padEnd(32)} ${"API".padStart(8)} ${"PostgreSQL".padStart(12)}`);
      for (const [name, { api, pg }] of Object.entries(best)) console.log(`${name.padEnd(32)} ${api.toFixed(0).padStart(5)} µs ${pg.toFixed(0).padStart(9)} µs`);
    } finally {
      await app.stop();
    }
  } finally {
    await release();
  }
}
