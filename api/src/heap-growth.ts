import v8 from "node:v8";

/**
 * The V8 flags the API is started with, wherever it runs (npm start, the Dockerfile and docker-compose, the benches):
 * flags that size the heap when the process starts, which `v8.setFlagsFromString` cannot change later.
 *
 * `--max-semi-space-size=32` (MiB; V8's default on 64-bit is 16): the young generation, where a request's objects are
 * born and, most of them, die. With 16 MiB, at 50 connections a scavenge comes every few dozen requests and finds
 * the objects of the requests still in flight alive, copies them, and promotes the ones it has copied before to the
 * old generation, which a full collection must then clear. A young generation twice as large is scavenged half as
 * often, and what is in flight at each scavenge is a smaller part of it. Measured with `npm run bench -- http
 * --scenario jobs-board-no-count --connections 50` (five pairs of runs, each pair one after the other): 1.48 ms of
 * API CPU per request against 1.70 (13 % less; less in each pair), resident memory at the end of a run 238-244 MiB
 * against 216-223. 64 MiB saved little more CPU for about 310 MiB; 8 MiB cost 30 % more CPU.
 */
export const API_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32"];

/**
 * How far V8 lets the heap grow past what survived its last full collection before it collects again: 100 % (the
 * heap at most doubles). Left to itself, V8 picks a factor of up to 4 on a busy process with a large limit (about
 * 4 GiB on a 24 GiB machine), so under steady load the old generation fills with garbage it has no reason to collect:
 * the API held about 275 MiB resident at 50 connections of jobs-board reads, of which a full collection keeps ~50 MiB
 * of heap. Bounded at 100 %, it holds about 220 MiB, with the same requests per second and CPU per request in the
 * http bench (`npm run bench -- http`, README "Memory"). V8 reads the factor at every full collection, so setting it
 * when the process starts is enough. Called first thing by the long-running processes (API, worker).
 */
export function boundHeapGrowth(percent = 100): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
