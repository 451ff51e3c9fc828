import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../src/env.ts";
import { freePort } from "./support/ports.ts";

/** `npm start`'s supervisor, end to end on the embedded database (the web server is covered by web's tests). */
describe("start-all on the embedded database", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "h2o-start-"));
  const running: ChildProcess[] = [];
  afterAll(() => {
    // a supervisor killed with SIGKILL leaves its children running: end its whole process group
    for (const proc of running) if (proc.exitCode === null) process.kill(-proc.pid!, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(apiPort: number, pgPort: number, extraEnv: Record<string, string> = {}) {
    const proc = spawn(process.execPath, ["--import", "tsx", "api/src/start-all.ts", "--no-web"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, API_PORT: String(apiPort), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "info", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, with its children and the database (see afterAll)
    });
    running.push(proc);
    let output = "";
    proc.stdout!.on("data", (d) => (output += d));
    proc.stderr!.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    await expect.poll(() => output, { timeout: 150_000, interval: 250 }).toMatch(/H2O-ACP is running/);
    return { proc, exited, output: () => output };
  }
  const stop = (started: { proc: ChildProcess; exited: Promise<number | null> }) => (started.proc.kill("SIGINT"), started.exited);
  /** The pids the supervisor logged for a child, in order ({"child":"api","pid":…,"msg":"started"}). */
  const pids = (output: string, child: string) =>
    output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { child?: string; pid?: number; msg?: string; service?: string })
      .filter((l) => l.service === "start" && l.child === child && l.msg === "started")
      .map((l) => l.pid!);
  const alive = (pid: number) => {
    try {
      return process.kill(pid, 0);
    } catch {
      return false;
    }
  };
  const typename = (apiPort: number) =>
    fetch(`http://127.0.0.1:${apiPort}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) }).then((r) => r.json());
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });

  it("migrates and seeds on first run, prints the URLs, stops on Ctrl-C (children, then the database), and finds its data again", async () => {
    const apiPort = await freePort();
    const pgPort = await freePort();
    const first = await start(apiPort, pgPort);
    expect(first.output()).toContain(`http://127.0.0.1:${apiPort}/graphql`);
    expect(first.output()).toMatch(/first run: seeding demo data/);
    expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);
    // every answer carries its cost (extensions.cost, README "Cost budget")
    expect(await typename(apiPort)).toEqual({ data: { __typename: "Query" }, extensions: { cost: expect.objectContaining({ requestedQueryCost: 1 }) } });
    expect(await stop(first)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
    expect(await listening(pgPort)).toBe(false);
    const database = first.output().indexOf('"msg":"embedded postgres stopped"');
    for (const child of ["api", "worker"]) expect(first.output().indexOf(`"child":"${child}","msg":"stopped"`)).toBeGreaterThan(0);
    for (const child of ["api", "worker"]) expect(first.output().indexOf(`"child":"${child}","msg":"stopped"`)).toBeLessThan(database);

    // the API runs compiled (api/dist), built on the first start if its sources changed, and not again on the second
    expect(first.output()).toMatch(/"build":"api".*"msg":"api: (built|up to date, build skipped)/);
    const second = await start(apiPort, pgPort);
    expect(second.output()).toMatch(/"build":"api".*"msg":"api: up to date, build skipped/);
    expect(readFileSync(`/proc/${pids(second.output(), "api")[0]}/cmdline`, "utf8").split("\0")).toContain("api/dist/main.js");
    expect(second.output()).toMatch(/"fresh":false/);
    expect(second.output()).not.toMatch(/first run: seeding/);
    expect(await stop(second)).toBe(0);
  }, 400_000);

  it("restarts a child killed with SIGKILL while the others keep running, and gives up after repeated crashes", async () => {
    const apiPort = await freePort();
    const pgPort = await freePort();
    const started = await start(apiPort, pgPort, { SUPERVISOR_MAX_RESTARTS: "1", SUPERVISOR_RESTART_WINDOW_MS: "120000", SUPERVISOR_BACKOFF_MS: "200" });
    const [api] = pids(started.output(), "api");
    const [worker] = pids(started.output(), "worker");
    expect(alive(api!) && alive(worker!)).toBe(true);

    process.kill(api!, "SIGKILL");
    await expect.poll(() => started.output(), { timeout: 10_000 }).toMatch(/api exited unexpectedly \(SIGKILL\); restarting in 200 ms/);
    await expect.poll(() => pids(started.output(), "api").length, { timeout: 10_000 }).toBe(2);
    const [, restarted] = pids(started.output(), "api");
    expect(restarted).not.toBe(api);
    await expect.poll(async () => (await typename(apiPort).catch(() => null))?.data, { timeout: 60_000, interval: 250 }).toEqual({ __typename: "Query" });
    expect(alive(worker!)).toBe(true);
    expect(pids(started.output(), "worker")).toEqual([worker]);

    // the worker's first crash is restarted; its second within the window is one too many: everything stops
    process.kill(worker!, "SIGKILL");
    await expect.poll(() => pids(started.output(), "worker").length, { timeout: 10_000 }).toBe(2);
    const [, worker2] = pids(started.output(), "worker");
    process.kill(worker2!, "SIGKILL");
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/H2O-ACP stopped: worker crashed 2 times within 120 s \(exit SIGKILL\); giving up/);
    expect(alive(restarted!)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
    expect(await listening(pgPort)).toBe(false);
  }, 400_000);
});
