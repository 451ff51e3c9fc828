// One measured run of a scenario against one server (autocannon), the exact statement count of a warm request,
// and the check that the API and the baseline answer with the same data (and PostGraphile with the same rows).
import { createRequire } from "node:module";
import type { PooledJob } from "./dataset.ts";
import { cpuMs, memory, rssMiB, settle, statements, type Server } from "./processes.ts";
import { body, leaves, nextStatus, pathOf, type Fixtures, type Operation, type Scenario } from "./scenarios.ts";

const require = createRequire(import.meta.url);
// autocannon ships no types; the part used here is typed by hand below
const autocannon = require("autocannon") as (options: Record<string, unknown>) => Promise<AutocannonResult> & { stop?: () => void };

interface AutocannonResult {
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}

export interface RunResult {
  server: "api" | "baseline" | "postgraphile";
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  sqlPerRequest: number;
  rssEndMiB: number;
}

/** Jobs the writes lease: one per in-flight request, back when its response says where the job is now. */
export class JobLeases {
  private free: PooledJob[];
  constructor(jobs: PooledJob[]) {
    this.free = [...jobs];
  }
  take(): PooledJob {
    const job = this.free.shift();
    if (!job) throw new Error("the mutation pool is exhausted: more connections than pooled jobs");
    return job;
  }
  give(job: PooledJob) {
    this.free.push(job);
  }
}

/** Failures seen during a run: any non-2xx status or a body with `errors` fails the whole bench. */
export class Failures {
  count = 0;
  samples: string[] = [];
  record(what: string) {
    if (this.count++ < 3) this.samples.push(what.slice(0, 500));
  }
}

function checkedRequests(target: Server, scenario: Scenario, fx: Fixtures, leases: JobLeases, failures: Failures) {
  return scenario.ops.map((op) => {
    const base = { method: "POST", path: pathOf(target.name, op), headers: { "content-type": "application/json", ...fx.headers[op.auth] } };
    if (!op.write)
      return { ...base, body: body(op, fx, undefined, target.name), onResponse: (status: number, text: string) => (status !== 200 || text.includes('"errors"')) && failures.record(`${status} ${text}`) };
    return {
      ...base,
      setupRequest: (req: Record<string, unknown>, context: { job?: PooledJob }) => {
        context.job = leases.take();
        return { ...req, body: body(op, fx, context.job) };
      },
      onResponse: (status: number, text: string, context: { job?: PooledJob }) => {
        const job = context.job!;
        if (status !== 200 || text.includes('"errors"')) return failures.record(`${status} ${text}`);
        const moved = (JSON.parse(text) as { data: { changeJobStatus: { job: { status: string; version: number } } } }).data.changeJobStatus.job;
        job.status = moved.status.toLowerCase();
        job.version = moved.version;
        leases.give(job);
      },
    };
  });
}

/** Runs `scenario` against `target` with autocannon; CPU and statements are the server process's, before/after. */
export async function measure(target: Server, scenario: Scenario, fx: Fixtures, leases: JobLeases, connections: number, seconds: number): Promise<RunResult> {
  const failures = new Failures();
  const sql0 = await statements(target);
  const cpu0 = cpuMs(target.pid);
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    requests: checkedRequests(target, scenario, fx, leases, failures),
  }).then((r) => r);
  // completed: answered within the run (req/s); sent: also those cut off at its end, which the server still served
  // (their CPU and statements are in the deltas below), so the per-request costs divide by `sent`
  const { total: completed, sent } = (result as unknown as { requests: { total: number; sent: number } }).requests;
  const sql1 = await settle(target);
  if (process.env.BENCH_MEMORY) console.log(`${target.name} memory at end (MiB): ${JSON.stringify(await memory(target))}; after a full GC (with --expose-gc): ${JSON.stringify(await memory(target, true))}`);
  const cpu1 = cpuMs(target.pid);
  if (result.non2xx || result.errors || result.timeouts || failures.count)
    throw new Error(
      `${target.name} / ${scenario.name} at ${connections} connections: ${failures.count} failed responses (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts):\n  ${failures.samples.join("\n  ")}`,
    );
  return {
    server: target.name,
    connections,
    seconds: result.duration,
    requests: completed,
    rps: completed / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: (cpu1 - cpu0) / sent,
    sqlPerRequest: (sql1 - sql0) / sent,
    rssEndMiB: rssMiB(target.pid),
  };
}

async function send(target: Server, op: Operation, fx: Fixtures, job?: PooledJob): Promise<{ status: number; text: string }> {
  const res = await fetch(target.url + pathOf(target.name, op), { method: "POST", headers: { "content-type": "application/json", ...fx.headers[op.auth] }, body: body(op, fx, job, target.name) });
  return { status: res.status, text: await res.text() };
}

/**
 * SQL statements of one warm request, exactly: `rounds` passes over the scenario's operations, one request at a
 * time, counted by the server's driver-level counter; per request. Also warms the server up.
 */
export async function statementsPerRequest(target: Server, scenario: Scenario, fx: Fixtures, leases: JobLeases, rounds = 10): Promise<number> {
  const before = await settle(target);
  let n = 0;
  for (let i = 0; i < rounds; i++)
    for (const op of scenario.ops) {
      const job = op.write ? leases.take() : undefined;
      const { status, text } = await send(target, op, fx, job);
      if (status !== 200 || text.includes('"errors"')) throw new Error(`${target.name} / ${scenario.name}: ${status} ${text.slice(0, 500)}`);
      if (job) {
        const moved = JSON.parse(text).data.changeJobStatus.job;
        Object.assign(job, { status: moved.status.toLowerCase(), version: moved.version });
        leases.give(job);
      }
      n++;
    }
  return ((await settle(target)) - before) / n;
}

/**
 * Sends each operation of the scenario once to both servers and compares the `data` (as JSON text: same values,
 * same key order). A write is compared with what it must return: the leased job's id, its next status, version + 1.
 * Returns the mismatches (empty when they agree).
 */
export async function compare(api: Server, baseline: Server, scenario: Scenario, fx: Fixtures, leases: JobLeases): Promise<string[]> {
  const mismatches: string[] = [];
  for (const op of new Set(scenario.ops)) {
    if (op.write) {
      for (const target of [api, baseline]) {
        const job = leases.take();
        const expected = JSON.stringify({ changeJobStatus: { job: { id: Buffer.from(`Job:${job.id}`).toString("base64"), status: nextStatus(job).toUpperCase(), version: job.version + 1 } } });
        const { text } = await send(target, op, fx, job);
        const data = JSON.stringify((JSON.parse(text) as { data?: unknown }).data ?? null);
        if (data !== expected) mismatches.push(`${target.name} ${op.route}: expected ${expected}\n    got ${text.slice(0, 400)}`);
        else {
          Object.assign(job, { status: nextStatus(job), version: job.version + 1 });
          leases.give(job);
        }
      }
      continue;
    }
    const [a, b] = await Promise.all([send(api, op, fx), send(baseline, op, fx)]);
    const dataA = JSON.stringify((JSON.parse(a.text) as { data?: unknown }).data ?? null);
    const dataB = JSON.stringify((JSON.parse(b.text) as { data?: unknown }).data ?? null);
    if (dataA !== dataB) mismatches.push(`${op.route}: API and baseline differ\n    api:      ${firstDifference(dataA, dataB, a.text)}\n    baseline: ${firstDifference(dataB, dataA, b.text)}`);
  }
  return mismatches;
}

/**
 * Sends each operation of the scenario (reads only) to the API and to PostGraphile and compares the rows they return:
 * the same leaf values in the same order, IDs reduced to row uuids (`leaves` in scenarios.ts). Returns the mismatches.
 */
export async function comparePostGraphile(api: Server, postgraphile: Server, scenario: Scenario, fx: Fixtures): Promise<string[]> {
  const mismatches: string[] = [];
  for (const op of new Set(scenario.ops)) {
    const [a, p] = await Promise.all([send(api, op, fx), send(postgraphile, op, fx)]);
    const parsed = JSON.parse(p.text) as { data?: unknown; errors?: unknown };
    if (p.status !== 200 || parsed.errors) {
      mismatches.push(`${op.route}: PostGraphile answered ${p.status} ${p.text.slice(0, 300)}`);
      continue;
    }
    const rowsA = JSON.stringify(leaves((JSON.parse(a.text) as { data?: unknown }).data ?? null));
    const rowsP = JSON.stringify(leaves(parsed.data ?? null));
    if (rowsA !== rowsP) mismatches.push(`${op.route}: API and PostGraphile differ\n    api:          ${firstDifference(rowsA, rowsP, a.text)}\n    postgraphile: ${firstDifference(rowsP, rowsA, p.text)}`);
  }
  return mismatches;
}

/** Up to 160 characters around where two texts start to differ. */
function firstDifference(text: string, other: string, raw: string): string {
  if (text === "null") return raw.slice(0, 300);
  let i = 0;
  while (i < text.length && text[i] === other[i]) i++;
  return `…${text.slice(Math.max(0, i - 60), i + 100)}…`;
}
