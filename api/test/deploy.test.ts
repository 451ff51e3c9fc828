import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DockerfileParser, type Instruction, type ModifiableInstruction } from "dockerfile-ast";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../src/env.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

/**
 * The production image and docker-compose.yml, without a Docker engine: the files are parsed and their invariants
 * checked, and the worker and the migration run here with exactly the environment compose gives them.
 */
const run = promisify(execFile);
const compose = parse(readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, { build?: { context: string; target?: string } | string; image?: string; command?: string[]; volumes?: unknown[];
    environment?: Record<string, string>; healthcheck?: { test: string[] }; depends_on?: Record<string, unknown> }>;
  configs: Record<string, { content: string }>;
};
const dockerfile = DockerfileParser.parse(readFileSync(path.join(repoRoot, "Dockerfile"), "utf8"));
const appServices = ["migrate", "api", "worker", "web"] as const;
const secrets = ["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "ENCRYPTION_KEY", "SVIX_API_KEY", "POSTGRES_PASSWORD"];

/** The Dockerfile's stages: name and instructions (keyword, arguments as one string). */
function stages() {
  const out: { name: string; base: string; instructions: { keyword: string; args: string; flags: string[] }[] }[] = [];
  for (const i of dockerfile.getInstructions() as Instruction[]) {
    const args = i.getArguments().map((a) => a.getValue());
    if (i.getKeyword() === "FROM") out.push({ base: args[0]!, name: args[2] ?? String(out.length), instructions: [] });
    else out.at(-1)?.instructions.push({ keyword: i.getKeyword(), args: args.join(" "), flags: (i as ModifiableInstruction).getFlags?.().map((f) => f.toString()) ?? [] });
  }
  return out;
}

/** Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`, from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (all === "$$") return "$";
    const v = vars[name!];
    if (v) return v;
    if (op === "?") throw new Error(`compose would refuse: ${name} unset (${arg})`);
    return op === "-" ? arg! : "";
  });
}

describe("the production image (Dockerfile)", () => {
  const all = stages();
  const runtime = all.at(-1)!;
  const runs = (stage: (typeof all)[number]) => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join(" && ");

  it("builds in one stage (npm ci with the dev tools, the Prisma client, the API bundle and the dashboard)", () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    const build = all.find((s) => /npm ci --include=dev/.test(runs(s)))!;
    expect(build).toBeDefined();
    expect(runs(build)).toMatch(/npm run generate -w api/);
    expect(runs(build)).toMatch(/api\/src\/build\/run\.ts/);
    expect(build).not.toBe(runtime);
  });

  it("runs with production dependencies only, the built code, as a non-root user under an init", () => {
    const copies = runtime.instructions.filter((i) => i.keyword === "COPY");
    // every node_modules tree (the root's and the workspaces' own: api/node_modules) from a stage that installed
    // without the dev dependencies: its whole /app
    const modules = copies.find((c) => c.args === "/app ./")!;
    const from = modules.flags.find((f) => f.startsWith("--from="))!.slice("--from=".length);
    expect(runs(all.find((s) => s.name === from)!)).toMatch(/npm ci --omit=dev/);
    // the manifests, and our patches to dependencies (patches/, applied by patch-package after npm ci)
    expect(all.find((s) => s.name === from)!.instructions.filter((i) => i.keyword === "COPY").every((c) => /package(-lock)?\.json|^patches /.test(c.args))).toBe(true);
    expect(runs(all.find((s) => s.name === from)!)).toMatch(/npm ci --omit=dev --ignore-scripts && npx patch-package/);
    expect(runs(runtime)).not.toMatch(/npm (ci|install)/);
    // the builds come from the build stage; no whole-context copy (sources, tests, .env) into the image
    const build = all.find((s) => /npm ci --include=dev/.test(runs(s)))!.name;
    for (const built of ["/app/api/dist", "/app/web/build"]) {
      expect(copies.some((c) => c.flags.includes(`--from=${build}`) && c.args.startsWith(built))).toBe(true);
    }
    expect(copies.some((c) => /^\.\s/.test(c.args))).toBe(false);
    const user = runtime.instructions.filter((i) => i.keyword === "USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0", "0:0"]).not.toContain(user);
    const entrypoint = runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")!.args;
    expect(entrypoint).toMatch(/tini/);
    expect(runs(runtime)).toMatch(/apt-get install .*\btini\b/);
    expect(runtime.instructions.find((i) => i.keyword === "ENV")!.args).toMatch(/NODE_ENV=production/);
    const ignored = readFileSync(path.join(repoRoot, ".dockerignore"), "utf8");
    for (const entry of ["node_modules", ".data", ".env", ".git"]) expect(ignored).toContain(entry);
  });
});

describe("docker-compose.yml", () => {
  it("runs the app from the image, not from a bind-mounted checkout installing at start", () => {
    for (const name of appServices) {
      const service = compose.services[name]!;
      expect(service.build, name).toMatchObject({ context: ".", target: stages().at(-1)!.name });
      expect(service.volumes, name).toBeUndefined();
      expect(service.command!.join(" "), name).not.toMatch(/npm|tsx/);
    }
  });

  it("checks the health of every long-running service, the worker included", () => {
    for (const name of ["postgres", "redis", "api", "worker", "web"]) expect(compose.services[name]!.healthcheck?.test.length, name).toBeGreaterThan(1);
    expect(compose.services.worker!.healthcheck!.test.join(" ")).toContain(compose.services.worker!.environment!.WORKER_HEARTBEAT_FILE);
  });

  it("gives each service only the variables it uses", () => {
    const env = (name: string) => Object.keys(compose.services[name]!.environment ?? {});
    expect(env("web").filter((k) => secrets.includes(k))).toEqual([]);
    expect(env("migrate")).toEqual(["DATABASE_URL"]);
    expect(env("worker")).not.toContain("JWT_SECRET");
    expect(env("api")).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "ENCRYPTION_KEY"]));
  });

  it("has nginx resolve the API replicas again while running (Docker's DNS, a short validity)", () => {
    const conf = compose.configs.nginx!.content;
    expect(conf).toMatch(/resolver 127\.0\.0\.11 valid=\d+s/);
    const upstreamResolve = /upstream api \{[^}]*zone [^}]*server api:4000 [^;]*\bresolve\b/s.test(conf) && /proxy_pass http:\/\/api;/.test(conf);
    const variableProxyPass = /proxy_pass http:\/\/\$\$?\w+/.test(conf);
    expect(upstreamResolve || variableProxyPass).toBe(true);
    expect(compose.services.lb!.image).toMatch(/^nginx:1\.(2[89]|[3-9]\d)/); // `resolve` in an upstream: 1.27.3+
  });
});

describe("the services run with exactly compose's environment", () => {
  let db: TestDatabase;
  let worker: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "h2o-deploy-"));
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once("exit", resolve));
      worker.kill("SIGTERM");
      await exited;
    }
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The image's ENV, then the service's environment interpolated; the addresses of compose's network mapped to this machine's. */
  function serviceEnv(name: string, overrides: Record<string, string>): Record<string, string> {
    const image = Object.fromEntries(
      stages().at(-1)!.instructions.filter((i) => i.keyword === "ENV").flatMap((i) => i.args.split(/\s+/)).map((kv) => kv.split("=", 2) as [string, string]),
    );
    const vars = { POSTGRES_PASSWORD: "pw", JWT_SECRET: "j".repeat(40), ENCRYPTION_KEY: "ab".repeat(32) };
    const service = Object.fromEntries(Object.entries(compose.services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));
    return { PATH: process.env.PATH!, ...image, ...service, DATA_DIR: dir, ...overrides };
  }

  it("migrate: with the database URL alone, in production", async () => {
    db = await createTestDatabase("h2o_deploy");
    const env = serviceEnv("migrate", { DATABASE_URL: db.url });
    expect(Object.keys(env).filter((k) => secrets.includes(k))).toEqual(["DATABASE_URL"]);
    const { stdout } = await run(process.execPath, ["--import", "tsx", "api/src/cli.ts", "migrate"], { cwd: repoRoot, env });
    expect(stdout).toContain("migrate: done");
  }, 120_000);

  it("worker: starts without JWT_SECRET, and its healthcheck passes once it reached the database", async () => {
    const heartbeat = path.join(dir, "worker-heartbeat");
    const env = serviceEnv("worker", {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      WORKER_HEARTBEAT_FILE: heartbeat,
      LOG_LEVEL: "warn",
    });
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.NODE_ENV).toBe("production");
    const health = compose.services.worker!.healthcheck!.test.slice(1).map((a) => a.replaceAll(compose.services.worker!.environment!.WORKER_HEARTBEAT_FILE!, heartbeat));
    await expect(run(health[0]!, health.slice(1))).rejects.toThrow(); // no heartbeat yet: unhealthy
    const stderr: string[] = [];
    worker = spawn(process.execPath, ["--import", "tsx", "api/src/worker.ts"], { cwd: repoRoot, env, stdio: ["ignore", "ignore", "pipe"] });
    worker.stderr!.on("data", (d) => stderr.push(String(d)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(heartbeat) && worker.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(worker.exitCode, stderr.join("")).toBeNull();
    expect(existsSync(heartbeat)).toBe(true);
    await run(health[0]!, health.slice(1)); // exits 0: healthy
  }, 60_000);
});
