import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../src/env.ts";
import { freePort } from "./support/ports.ts";

/** `npm start`'s supervisor, end to end on the embedded database (the web server is covered by web's tests). */
describe("start-all on the embedded database", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "h2o-start-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(apiPort: number, pgPort: number) {
    const proc = spawn(process.execPath, ["--import", "tsx", "api/src/start-all.ts", "--no-web"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, API_PORT: String(apiPort), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    proc.stdout!.on("data", (d) => (output += d));
    proc.stderr!.on("data", (d) => (output += d));
    await expect.poll(() => output, { timeout: 90_000, interval: 250 }).toMatch(/H2O-ACP is running/);
    return { proc, output: () => output };
  }
  const stop = (proc: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      proc.once("exit", (code) => resolve(code));
      proc.kill("SIGINT");
    });

  it("migrates and seeds on first run, prints the URLs, stops on Ctrl-C, and finds its data again", async () => {
    const apiPort = await freePort();
    const pgPort = await freePort();
    const first = await start(apiPort, pgPort);
    expect(first.output()).toContain(`http://127.0.0.1:${apiPort}/graphql`);
    expect(first.output()).toMatch(/first run: seeding demo data/);
    expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(await res.json()).toEqual({ data: { __typename: "Query" } });
    expect(await stop(first.proc)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();

    const second = await start(apiPort, pgPort);
    expect(second.output()).toMatch(/"fresh":false/);
    expect(second.output()).not.toMatch(/first run: seeding/);
    expect(await stop(second.proc)).toBe(0);
  }, 180_000);
});
