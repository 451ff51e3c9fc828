// Preload (`node --import <this file> ...`) for the processes `npm run bench -- http` measures: counts every SQL
// statement the process sends through the `pg` driver (each `Client#query` call is one statement on the wire, BEGIN,
// set_config and COMMIT included, as PostgreSQL's statement log sees them) without touching the program's source.
// The count (and the process's memory, in MiB, by V8 heap space) is served as JSON on 127.0.0.1:BENCH_STATS_PORT (`{"statements":N}`), read by the bench before and after
// a run. Plain JavaScript, so it works whether the program runs through tsx or compiled.
import http from "node:http";
import v8 from "node:v8";
import pg from "pg";

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements++;
  return query.apply(this, args);
};

const port = Number(process.env.BENCH_STATS_PORT);
if (port) {
  const server = http.createServer((req, res) => {
    if (req.url === "/gc" && typeof globalThis.gc === "function") globalThis.gc(); // with --expose-gc: live memory only
    res.setHeader("content-type", "application/json");
    const mib = (n) => Math.round(n / 1048576);
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mib(s.space_size)]));
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const memory = { rss: mib(rss), heapTotal: mib(heapTotal), heapUsed: mib(heapUsed), external: mib(external), arrayBuffers: mib(arrayBuffers), spaces };
    res.end(JSON.stringify({ statements, memory }));
  });
  server.listen(port, "127.0.0.1");
  server.unref();
}
