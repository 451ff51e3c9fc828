// What the soak samples of the API (its /metrics: prom-client's process and Node.js metrics) and the worker (/proc),
// the table it prints, and its verdict on memory.
import { rssMiB } from "../http/processes.ts";

export interface Sample {
  /** Seconds since the traffic started. */
  at: number;
  rssMiB: number;
  heapMiB: number;
  /** Event-loop delay, p99 over the interval since the previous sample (prom-client resets it on every scrape). */
  loopP99Ms: number;
  handles: number;
  sockets: number;
  workerRssMiB: number;
  /** Requests per second the clients made since the previous sample. */
  rps: number;
}

/** Reads one sample from the API's /metrics and the worker's /proc entry. */
export async function sample(apiUrl: string, workerPid: number, at: number, rps: number): Promise<Sample> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const value = (name: string) => Number(text.split("\n").find((l) => l.startsWith(`${name} `))?.split(" ")[1] ?? Number.NaN);
  return {
    at,
    rssMiB: value("process_resident_memory_bytes") / 2 ** 20,
    heapMiB: value("nodejs_heap_size_used_bytes") / 2 ** 20,
    loopP99Ms: value("nodejs_eventloop_lag_p99_seconds") * 1000,
    handles: value("nodejs_active_handles_total"),
    sockets: value("graphql_ws_connections"),
    workerRssMiB: safe(() => rssMiB(workerPid)),
    rps,
  };
}

const safe = (f: () => number) => {
  try {
    return f();
  } catch {
    return Number.NaN;
  }
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};
const max = (xs: number[]) => Math.max(...xs);
const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`;

/** One row per tenth of the run: medians of memory and rate, maxima of loop delay, handles and sockets. */
export function table(samples: Sample[]): string {
  const rows = [["until", "RSS MiB", "heap MiB", "loop p99 ms (max)", "handles (max)", "sockets (max)", "worker RSS MiB", "req/s"]];
  const per = Math.max(1, Math.ceil(samples.length / 10));
  for (let i = 0; i < samples.length; i += per) {
    const g = samples.slice(i, i + per);
    rows.push([
      mmss(g.at(-1)!.at),
      median(g.map((s) => s.rssMiB)).toFixed(0),
      median(g.map((s) => s.heapMiB)).toFixed(1),
      max(g.map((s) => s.loopP99Ms)).toFixed(1),
      String(max(g.map((s) => s.handles))),
      String(max(g.map((s) => s.sockets))),
      median(g.map((s) => s.workerRssMiB)).toFixed(0),
      median(g.map((s) => s.rps)).toFixed(0),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((v, c) => v.padStart(widths[c]!)).join("  ")).join("\n");
}

export interface MemoryVerdict {
  flat: boolean;
  lines: string[];
}

/**
 * Memory is flat when, after the warm-up, the last third of the samples is within 10 % (plus 8 MiB of noise for RSS,
 * 4 MiB for heap) of the first third: RSS by its median, the heap by its floor (the lowest sample: what survives
 * garbage collection; heap used at a random instant is a sawtooth between collections, and its median wanders with
 * where the samples fall). The slope over all post-warm-up samples is printed too.
 */
export function memoryVerdict(samples: Sample[], warmUpSeconds: number): MemoryVerdict {
  const after = samples.filter((s) => s.at > warmUpSeconds);
  if (after.length < 6) return { flat: false, lines: [`too few samples after the ${warmUpSeconds} s warm-up (${after.length}): run longer`] };
  const third = Math.floor(after.length / 3);
  const first = after.slice(0, third);
  const last = after.slice(-third);
  const lines: string[] = [];
  let flat = true;
  const floor = (xs: number[]) => Math.min(...xs);
  const measures = [
    ["RSS (median)", (s: Sample) => s.rssMiB, median, 8],
    ["heap used (floor)", (s: Sample) => s.heapMiB, floor, 4],
    ["worker RSS (median)", (s: Sample) => s.workerRssMiB, median, 8],
  ] as const;
  for (const [name, get, stat, slack] of measures) {
    const a = stat(first.map(get));
    const b = stat(last.map(get));
    const ok = b <= a * 1.1 + slack;
    flat &&= ok;
    lines.push(`${name}: first third ${a.toFixed(1)} MiB, last third ${b.toFixed(1)} MiB (${b >= a ? "+" : ""}${(((b - a) / a) * 100).toFixed(1)} %), slope ${slope(after, get).toFixed(2)} MiB/min: ${ok ? "flat" : "GROWING"}`);
  }
  return { flat, lines };
}

/** Least-squares slope of a series, per minute. */
function slope(samples: Sample[], get: (s: Sample) => number): number {
  const xs = samples.map((s) => s.at / 60);
  const ys = samples.map(get);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}
