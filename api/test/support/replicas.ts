import { type ChildProcess, spawn } from "node:child_process";
import { repoRoot } from "../../src/env.ts";
import { freePort } from "./ports.ts";

export interface Replica {
  proc: ChildProcess;
  port: number;
  output(): string;
}

/** One API replica: `node --import tsx api/src/main.ts` on a free port, as in production; resolves once /readyz is 200. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", "api/src/main.ts"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, API_HOST: "127.0.0.1", API_PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`replica did not become ready:\n${output}`);
    if ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200) break;
  }
  return { proc, port, output: () => output };
}

/** SIGTERM, then resolves when the process has exited. */
export const stopReplica = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill("SIGTERM");
  });
