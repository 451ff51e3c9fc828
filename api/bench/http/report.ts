// How `npm run bench -- http` prints its figures, and the JSON it keeps under bench-results/.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../src/env.ts";
import type { RunResult } from "./load.ts";

export interface ScenarioReport {
  scenario: string;
  /** Exact statements of one warm request, one request at a time. */
  sqlPerRequest: { api: number; baseline: number; postgraphile?: number };
  mismatches: string[];
  /** `postgraphile`: its run right after the baseline's, when it answers the scenario (--no-postgraphile: never). */
  runs: Array<{ api: RunResult; baseline: RunResult; ratio: number; postgraphile?: RunResult; postgraphileRatio?: number }>;
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

/** PostGraphile's columns, after the API's, on the same line (its run follows the baseline's). */
export const PG_HEADER = ["PG req/s", "PG/baseline", "PG p50/p99 ms", "PG CPU ms/req", "SQL/req PG (load)"];

/** A run in which fewer than 5 requests per connection completed says little: marked `*` in the tables. */
const few = (r: RunResult) => r.requests < 5 * r.connections;
export const FEW_NOTE = "* fewer than 5 requests per connection completed in the run: too short for this load (lengthen --duration)";
const rps = (r: RunResult) => `${f(r.rps)}${few(r) ? "*" : ""}`;
const latency = (r: RunResult) => (r.requests ? `${f(r.p50, 1)} / ${f(r.p99, 1)}` : "-");

/** One line of the table: the API's run and the baseline's run that followed it (then PostGraphile's, if it ran). */
export function row(api: RunResult, baseline: RunResult, postgraphile?: RunResult): string[] {
  return [...apiRow(api, baseline), ...(postgraphile ? pgRow(postgraphile, baseline) : [])];
}

function pgRow(pg: RunResult, baseline: RunResult): string[] {
  return [rps(pg), pg.requests && baseline.requests ? `${f(pg.rps / baseline.rps, 2)}×` : "-", latency(pg), f(pg.cpuMsPerRequest, 2), f(pg.sqlPerRequest, 2)];
}

function apiRow(api: RunResult, baseline: RunResult): string[] {
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

/**
 * The summary of the whole bench: one line per scenario and connection count; PostGraphile's req/s, ratio to the
 * baseline, p50/p99, CPU and statements where it ran ("-" where it does not answer the scenario).
 */
export function summary(reports: ScenarioReport[]): string {
  const pg = reports.some((r) => r.runs.some((run) => run.postgraphile));
  const rows = [["scenario", "SQL/req API", "SQL/req base", ...HEADER.slice(0, 8), ...(pg ? ["SQL/req PG", ...PG_HEADER.slice(0, 4)] : [])]];
  for (const r of reports)
    for (const run of r.runs)
      rows.push([
        r.scenario, f(r.sqlPerRequest.api, 1), f(r.sqlPerRequest.baseline, 1), ...apiRow(run.api, run.baseline).slice(0, 8),
        ...(pg ? [f(r.sqlPerRequest.postgraphile ?? Number.NaN, 1), ...(run.postgraphile ? pgRow(run.postgraphile, run.baseline).slice(0, 4) : ["-", "-", "-", "-"])] : []),
      ]);
  const marked = reports.some((r) => r.runs.some((run) => few(run.api) || few(run.baseline) || (run.postgraphile && few(run.postgraphile))));
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
