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

/** The middle value (the mean of the two middle ones for an even count), the lowest and the highest; NaN for none. */
export function spread(values: number[]): { median: number; min: number; max: number } {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/**
 * With --rounds N: one line per scenario and connection count, the median over its rounds of the API/baseline and
 * PostGraphile/baseline ratios, of API/PostGraphile (req/s of the two in the same round), and of each server's CPU per
 * request. On a shared machine a single round can move by a quarter; the median and its range say what holds.
 */
export function roundsSummary(reports: ScenarioReport[]): string {
  const pg = reports.some((r) => r.runs.some((run) => run.postgraphile));
  const ratio = (values: number[]) => {
    const s = spread(values);
    return Number.isNaN(s.median) ? "-" : `${f(s.median, 2)}× (${f(s.min, 2)}–${f(s.max, 2)})`;
  };
  const ms = (values: number[]) => (values.length ? f(spread(values).median, 2) : "-");
  const rows = [["scenario", "connections", "rounds", "API/baseline", "API CPU ms/req", "baseline CPU ms/req", ...(pg ? ["PG/baseline", "API/PG", "PG CPU ms/req"] : [])]];
  for (const r of reports) {
    for (const connections of [...new Set(r.runs.map((run) => run.api.connections))]) {
      const runs = r.runs.filter((run) => run.api.connections === connections);
      const withPg = runs.filter((run) => run.postgraphile?.requests);
      rows.push([
        r.scenario, String(connections), String(runs.length),
        ratio(runs.map((run) => run.ratio)), ms(runs.map((run) => run.api.cpuMsPerRequest)), ms(runs.map((run) => run.baseline.cpuMsPerRequest)),
        ...(pg ? [ratio(withPg.map((run) => run.postgraphileRatio!)), ratio(withPg.map((run) => run.api.rps / run.postgraphile!.rps)), ms(withPg.map((run) => run.postgraphile!.cpuMsPerRequest))] : []),
      ]);
    }
  }
  return table(rows);
}

/** Writes the results to bench-results/http-<time>.json (gitignored); returns the path. */
export function writeJson(result: unknown): string {
  const dir = path.join(repoRoot, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `http-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  return file;
}
