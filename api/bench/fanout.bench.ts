// Fan-out of one mutation to N graphql-ws subscribers on one API replica (a child process with its own database).
// Figures: time from sending the mutation until each subscriber has the event (p50, p99, max = "every subscriber
// has it"), and the server's resident memory per connection. `FANOUT_N=2000,5000,10000 npm run bench -- fanout`.
// Each connection is a socket in this process and in the server: mind `ulimit -n` (both need N + a few hundred).
// The server runs as production does (the compiled api/dist/main.js, NODE_ENV=production, built first when its
// sources changed). FANOUT_PROFILE=<dir> writes its CPU profile there.
import { spawn } from "node:child_process";
import { cpus } from "node:os";
import WebSocket from "ws";
import { loadEnv, repoRoot } from "../src/env.ts";
import type { TestApp } from "../test/support/app.ts";
import { TEST_JWT_SECRET } from "../test/support/app.ts";
import { createTestDatabase } from "../test/support/database.ts";
import { as, CREATE_JOB, seedDemo } from "../test/support/domain.ts";
import setupTemplate from "../test/support/global-setup.ts";
import { freePort } from "../test/support/ports.ts";
import { buildIfChanged } from "../src/build/cached-build.ts";
import { apiBuild } from "../src/build/targets.ts";

const SUBSCRIPTION = `subscription { jobChanged { type job { id status version updatedAt } } }`;

interface Subscriber {
  socket: WebSocket;
  got: Map<string, number>;
}

async function scrape(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(text.split("\n").find((l) => l.startsWith(`${name} `))?.split(" ")[1] ?? Number.NaN);
}

function subscriber(port: number, tenant: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", { perMessageDeflate: false });
    const got = new Map<string, number>();
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: as(tenant) })));
    socket.on("message", (data) => {
      const at = performance.now(); // before this process's own parsing, which shares the cores with the server
      const msg = JSON.parse(String(data));
      if (msg.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } }));
        resolve({ socket, got });
      } else if (msg.type === "next") got.set(msg.payload.data.jobChanged.job.version === 1 ? "created" : String(msg.payload.data.jobChanged.job.version), at);
    });
    socket.once("close", (code) => code !== 1000 && reject(new Error(`closed ${code}`)));
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function run() {
  const sizes = (process.env.FANOUT_N ?? "2000,5000,10000").split(",").map(Number);
  await setupTemplate();
  const db = await createTestDatabase("h2o_bench");
  const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64) });
  const prisma = await seedDemo({ db, env } as TestApp);
  const builder = await prisma.builder.findFirstOrThrow();
  await prisma.$disconnect();
  const port = await freePort();
  await buildIfChanged(apiBuild);
  const server = spawn(process.execPath, [...(process.env.FANOUT_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.FANOUT_PROFILE}`] : []), "api/dist/main.js"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", LOG_LEVEL: "error", GRAPHQL_TRUSTED_DOCUMENTS: "off", MALLOC_ARENA_MAX: "2", API_PORT: String(port), DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64),
      // one user on one address opens every connection here: the per-client limits would refuse them
      WS_MAX_CONNECTIONS_PER_IP: "1000000", WS_MAX_CONNECTIONS_PER_PRINCIPAL: "1000000" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const subscribers: Subscriber[] = [];
  try {
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 200)))
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200;
    const gql = async (query: string, variables: object) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...as("all_county") }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data: any; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const builderId = Buffer.from(`Builder:${builder.id}`).toString("base64");
    const createJob = () => gql(CREATE_JOB, { input: { builderId, community: "Bench", scheduledDate: "2026-08-01" } });
    await createJob(); // warm-up
    const baseRss = await scrape(port, "process_resident_memory_bytes");
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; server RSS before connections ${(baseRss / 2 ** 20).toFixed(0)} MiB`);
    console.log("subscribers | connect s | p50 ms | p99 ms | all have it ms | server RSS MiB | RSS per connection KiB");

    for (const n of sizes) {
      const connectStart = performance.now();
      while (subscribers.length < n) {
        const batch = Math.min(50, n - subscribers.length);
        subscribers.push(...(await Promise.all(Array.from({ length: batch }, () => subscriber(port, "all_county")))));
      }
      for (let ops = 0; ops < n; await new Promise((r) => setTimeout(r, 100))) ops = await scrape(port, "graphql_ws_operations");
      const connectSeconds = (performance.now() - connectStart) / 1000;
      await new Promise((r) => setTimeout(r, 1_000));
      const rss = await scrape(port, "process_resident_memory_bytes");

      for (const s of subscribers) s.got.clear();
      const sent = performance.now();
      await createJob();
      const deadline = Date.now() + 60_000;
      while (subscribers.some((s) => !s.got.has("created")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const latencies = subscribers.map((s) => (s.got.get("created") ?? Number.POSITIVE_INFINITY) - sent).sort((x, y) => x - y);
      const missing = latencies.filter((l) => !Number.isFinite(l)).length;
      console.log(
        [n, connectSeconds.toFixed(1), pct(latencies, 50).toFixed(1), pct(latencies, 99).toFixed(1), latencies.at(-1)!.toFixed(1), (rss / 2 ** 20).toFixed(0), ((rss - baseRss) / n / 1024).toFixed(1)].join(" | ") +
          (missing ? ` (${missing} never got it)` : ""),
      );
    }
  } finally {
    for (const s of subscribers) s.socket.terminate();
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    await db.drop();
  }
}
