import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const policy = fileURLToPath(new URL("../../src/crash-policy.ts", import.meta.url));
const logger = fileURLToPath(new URL("../../src/logger.ts", import.meta.url));

/** Runs a real Node process that installs the crash policy and then fails as `fault` says; returns its exit and logs. */
function run(fault: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stdout: string }> {
  const script = `
    import { installCrashPolicy } from ${JSON.stringify(policy)};
    import { createLogger } from ${JSON.stringify(logger)};
    const log = createLogger("info", "crash-test");
    installCrashPolicy(log, async () => { console.log(JSON.stringify({ msg: "stopped gracefully" })); }, 2000);
    setInterval(() => {}, 1000); // the process would otherwise live on
    ${fault}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.on("error", reject);
    child.on("exit", (code) =>
      resolve({ code, stdout, lines: stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) }),
    );
  });
}

describe("process-level crash policy (main.ts, worker.ts)", () => {
  it.each([
    ["uncaughtException", `setTimeout(() => { throw new Error("boom from a timer"); }, 10);`, "boom from a timer"],
    ["unhandledRejection", `void Promise.reject(new Error("nobody awaited me"));`, "nobody awaited me"],
  ])("an %s is logged fatal with its error, stops gracefully and exits 1", async (kind, fault, message) => {
    const { code, lines } = await run(fault);
    expect(code).toBe(1);
    const fatal = lines.find((l) => l.level === 60);
    expect(fatal).toMatchObject({ kind, service: "crash-test", err: { message } });
    expect(lines.map((l) => l.msg)).toContain("stopped gracefully");
  }, 20_000);
});
