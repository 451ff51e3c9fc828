// What `npm run bench -- http --rounds N` prints after its rounds: the median of each ratio with its range, per
// scenario and connection count, from the runs it measured.
import { describe, expect, it } from "vitest";
import type { RunResult } from "../bench/http/load.ts";
import { roundsSummary, spread, type ScenarioReport } from "../bench/http/report.ts";

const run = (server: RunResult["server"], connections: number, rps: number, cpuMsPerRequest: number): RunResult => ({
  server, connections, seconds: 10, requests: rps * 10, rps, p50: 1, p99: 2, cpuMsPerRequest, sqlPerRequest: 1, rssEndMiB: 100,
});

function round(connections: number, api: number, baseline: number, postgraphile?: number, apiCpu = 1) {
  return {
    api: run("api", connections, api, apiCpu),
    baseline: run("baseline", connections, baseline, 0.2),
    ratio: api / baseline,
    ...(postgraphile === undefined ? {} : { postgraphile: run("postgraphile", connections, postgraphile, 1.5), postgraphileRatio: postgraphile / baseline }),
  };
}

describe("the http bench's rounds", () => {
  it("spread: median of an odd and an even count, lowest and highest, nothing for no values", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spread([5, Number.NaN])).toEqual({ median: 5, min: 5, max: 5 });
    expect(Number.isNaN(spread([]).median)).toBe(true);
  });

  it("one line per scenario and connection count, with the median ratios and their range over the rounds", () => {
    const reports: ScenarioReport[] = [
      {
        scenario: "jobs-board-no-count",
        sqlPerRequest: { api: 1, baseline: 1, postgraphile: 4 },
        mismatches: [],
        runs: [round(50, 400, 1000, 300, 1.2), round(50, 500, 1000, 350, 0.8), round(50, 450, 1000, 400, 1.0), round(10, 100, 200, 50)],
      },
      { scenario: "dispatch", sqlPerRequest: { api: 2, baseline: 1 }, mismatches: [], runs: [round(50, 300, 600), round(50, 360, 600)] },
    ];
    const lines = roundsSummary(reports).split("\n").map((line) => line.split("|").map((cell) => cell.trim()));
    expect(lines[0]).toEqual(["scenario", "connections", "rounds", "API/baseline", "API CPU ms/req", "baseline CPU ms/req", "PG/baseline", "API/PG", "PG CPU ms/req"]);
    expect(lines.slice(1)).toEqual([
      // API/PG per round: 1.33, 1.43, 1.13
      ["jobs-board-no-count", "50", "3", "0.45× (0.40–0.50)", "1.00", "0.20", "0.35× (0.30–0.40)", "1.33× (1.13–1.43)", "1.50"],
      ["jobs-board-no-count", "10", "1", "0.50× (0.50–0.50)", "1.00", "0.20", "0.25× (0.25–0.25)", "2.00× (2.00–2.00)", "1.50"],
      ["dispatch", "50", "2", "0.55× (0.50–0.60)", "1.00", "0.20", "-", "-", "-"],
    ]);
  });
});
