// How `npm run bench -- http` prints its figures, and the JSON it keeps under bench-results/.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../src/env.ts";
import type { RunResult } from "./load.ts";

export interface ScenarioReport {
  scenario: string;
  /** Exact statements of one warm request, one request at a time. */
  sqlPerRequest: { api: number; baseline: number };
  mismatches: string[];
  runs: Array<{ api: RunResult; baseline: RunResult; ratio: number }>;
}

const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

export const HEADER = [
  "connections",
  "API req/s",
  "baseline req/s",
  "API/baseline",
  "API p50/p99 ms",
  "baseline p50/p99 ms",
  "API CPU ms/req",
  "baseline CPU ms/req",
  "SQL/req API (load)",
  "API RSS MiB at end",
];

/** A run in which fewer than 5 requests per connection completed says little: marked `*` in the tables. */
const few = (r: RunResult) => r.requests < 5 * r.connections;
export const FEW_NOTE = "* fewer than 5 requests per connection completed in the run: too short for this load (lengthen --duration)";
const rps = (r: RunResult) => `${f(r.rps)}${few(r) ? "*" : ""}`;
const latency = (r: RunResult) => (r.requests ? `${f(r.p50, 1)} / ${f(r.p99, 1)}` : "-");

/** One line of the table: the API's run and the baseline's run that followed it. */
export function row(api: RunResult, baseline: RunResult): string[] {
  return [
    String(api.connections),
    rps(api),
    rps(baseline),
    api.requests && baseline.requests ? `${f(api.rps / baseline.rps, 2)}×` : "-",
    latency(api),
    latency(baseline),
    f(api.cpuMsPerRequest, 2),
    f(baseline.cpuMsPerRequest, 2),
    f(api.sqlPerRequest, 2),
    f(api.rssEndMiB),
  ];
}

/** A plain text table with aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join(" | ")).join("\n");
}

/** The summary of the whole bench: one line per scenario and connection count. */
export function summary(reports: ScenarioReport[]): string {
  const rows = [["scenario", "SQL/req API", "SQL/req base", ...HEADER.slice(0, 8)]];
  for (const r of reports)
    for (const run of r.runs) rows.push([r.scenario, f(r.sqlPerRequest.api, 1), f(r.sqlPerRequest.baseline, 1), ...row(run.api, run.baseline).slice(0, 8)]);
  const marked = reports.some((r) => r.runs.some((run) => few(run.api) || few(run.baseline)));
  return table(rows) + (marked ? `\n${FEW_NOTE}` : "");
}

/** Writes the results to bench-results/http-<time>.json (gitignored); returns the path. */
export function writeJson(result: unknown): string {
  const dir = path.join(repoRoot, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `http-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  return file;
}
