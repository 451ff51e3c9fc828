import v8 from "node:v8";

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
