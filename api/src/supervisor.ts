// The process supervisor of `npm start`: runs the api, worker and web as child processes, restarts one that
// crashes while the others keep serving, and gives up only when a child keeps crashing.
import { type ChildProcess, spawn } from "node:child_process";
import type { Logger } from "./logger.ts";

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface RestartPolicy {
  /** A child that crashes more than this many times within `windowMs` is not restarted again: everything stops. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the first restart; doubled for each further crash in the window, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

/** The delay before restarting after the `crashes`-th crash of the current window (1-based). */
export const backoffDelay = (policy: RestartPolicy, crashes: number) =>
  Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, crashes - 1));

interface Running {
  spec: ChildSpec;
  proc?: ChildProcess;
  crashes: number[];
  restartTimer?: NodeJS.Timeout;
}

/**
 * Supervises child processes. Guarantees:
 * 1. Every start of a child is logged with its pid (`{"child":"api","pid":…,"msg":"started"}`), so an operator (or a
 *    test) can find it.
 * 2. A child that exits while the supervisor is not stopping is a crash: it is logged with its exit code or signal
 *    and restarted after `backoffDelay` (logged too); the other children are not touched.
 * 3. When one child has crashed more than `maxRestarts` times within `windowMs`, `onGiveUp` is called once with the
 *    reason, and no restart is scheduled any more.
 * 4. `stop()` cancels pending restarts, sends SIGTERM to every running child and waits for all of them (SIGKILL after
 *    `killAfterMs`); no child is started after `stop()` was called.
 */
export class Supervisor {
  readonly #children = new Map<string, Running>();
  #stopping = false;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly log: Logger,
    private readonly onGiveUp: (reason: string) => void,
    private readonly killAfterMs = 12_000,
  ) {}

  start(spec: ChildSpec): void {
    const running: Running = { spec, crashes: [] };
    this.#children.set(spec.name, running);
    this.#spawn(running);
  }

  /** The pid of a child while it runs. */
  pid(name: string): number | undefined {
    const proc = this.#children.get(name)?.proc;
    return proc && proc.exitCode === null && proc.signalCode === null ? proc.pid : undefined;
  }

  #spawn(running: Running) {
    if (this.#stopping) return;
    const { spec } = running;
    const proc = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: "inherit" });
    running.proc = proc;
    proc.on("error", (error) => this.log.error({ child: spec.name, err: error }, "could not start"));
    this.log.info({ child: spec.name, pid: proc.pid }, "started");
    proc.on("exit", (code, signal) => {
      if (!this.#stopping) this.#crashed(running, code, signal);
    });
  }

  #crashed(running: Running, code: number | null, signal: NodeJS.Signals | null) {
    const { name } = running.spec;
    const now = Date.now();
    running.crashes = [...running.crashes.filter((t) => now - t < this.policy.windowMs), now];
    const crashes = running.crashes.length;
    const windowS = Math.round(this.policy.windowMs / 1000);
    if (crashes > this.policy.maxRestarts) {
      const reason = `${name} crashed ${crashes} times within ${windowS} s (exit ${code ?? signal}); giving up`;
      this.log.error({ child: name, code, signal, crashes }, reason);
      this.onGiveUp(reason);
      return;
    }
    const delayMs = backoffDelay(this.policy, crashes);
    this.log.warn(
      { child: name, code, signal, crashes, maxRestarts: this.policy.maxRestarts, delayMs },
      `${name} exited unexpectedly (${signal ?? `code ${code}`}); restarting in ${delayMs} ms (crash ${crashes} of at most ${this.policy.maxRestarts} in ${windowS} s)`,
    );
    running.restartTimer = setTimeout(() => this.#spawn(running), delayMs);
  }

  /** Stops every child (in parallel) and resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children.values()].map(({ restartTimer, proc, spec }) => {
        clearTimeout(restartTimer);
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const kill = setTimeout(() => proc.kill("SIGKILL"), this.killAfterMs);
          proc.once("exit", () => {
            clearTimeout(kill);
            this.log.info({ child: spec.name }, "stopped");
            resolve();
          });
          proc.kill("SIGTERM");
        });
      }),
    );
  }
}
