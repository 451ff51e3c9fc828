import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../../src/env.ts";
import type { TestApp } from "./app.ts";

/**
 * Real worker processes (`node --import tsx api/src/worker.ts`) on a test app's database, for the crash tests:
 * `start(extraEnv, output?)` spawns one; `killAll()` ends (SIGKILL) those still running and resolves once they have exited.
 */
export function workerProcesses(app: () => TestApp) {
  const children: ChildProcess[] = [];
  const running = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
  return {
    /** `output`: receives the worker's stdout (its JSON log lines); otherwise stdout is dropped. */
    start(extraEnv: Record<string, string> = {}, output?: (chunk: string) => void): ChildProcess {
      const t = app();
      const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "api/src/worker.ts")], {
        cwd: repoRoot,
        env: {
          ...process.env,
          NODE_ENV: "test",
          LOG_LEVEL: "silent",
          DATABASE_URL: t.db.url,
          JWT_SECRET: t.env.JWT_SECRET,
          ENCRYPTION_KEY: t.env.ENCRYPTION_KEY,
          WORKER_RECOVERY_INTERVAL_MS: "400",
          ...extraEnv,
        },
        stdio: ["ignore", output ? "pipe" : "ignore", "inherit"],
      });
      if (output) child.stdout!.on("data", (d) => output(String(d)));
      children.push(child);
      return child;
    },
    async killAll(): Promise<void> {
      await Promise.all(
        running().map((c) => {
          const exited = new Promise((resolve) => c.once("exit", resolve));
          c.kill("SIGKILL");
          return exited;
        }),
      );
    },
  };
}
