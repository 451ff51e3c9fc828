import {
  BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry,
  TaskCancelledError, timeout, TimeoutStrategy, wrap, type CircuitBreakerPolicy, type IBackoff, type IBackoffFactory,
  type IRetryBackoffContext,
} from "cockatiel";
import { isRetryable, ProviderError } from "./provider.ts";

export interface ResilienceConfig {
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  maxInlineWaitMs: number;
  breakerThreshold: number;
  halfOpenAfterMs: number;
}

export type BreakerStateName = "closed" | "open" | "half_open";

const stateNames: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "open",
};

/** Exponential backoff with jitter (cockatiel's decorrelated jitter), never shorter than the platform's Retry-After. */
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(private readonly exp: IBackoffFactory<unknown>) {}
  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const exp = this.exp.next(context);
    const error = "error" in context.result ? context.result.error : null;
    const asked = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
    return { duration: Math.max(exp.duration, asked), next: (c) => new RetryAfterBackoff(exp).next(c) };
  }
}

/** A call the breaker refused: the account's breaker is open; try again after `retryAfterMs`. */
export class BreakerOpenError extends ProviderError {
  constructor(key: string, halfOpenAfterMs: number) {
    super("retryable", `circuit breaker of ${key} is open`, null, halfOpenAfterMs);
  }
}

/**
 * Outbound-call policies, one circuit breaker per key (`<platform>:<accountId>`, or a service name such as `s3`).
 * Guarantees, for `run(key, fn)`:
 * 1. each attempt of `fn` gets an AbortSignal that fires after `timeoutMs`; a timed-out attempt is retryable;
 * 2. retryable failures (ProviderError "retryable": 429, 5xx, network, timeout) are retried up to `attempts` times
 *    in all, waiting exponential backoff with jitter and at least the platform's Retry-After; a Retry-After longer
 *    than `maxInlineWaitMs` is not waited out here: the error reaches the caller (a job reschedules itself);
 * 3. every attempt counts for the key's breaker: `breakerThreshold` consecutive retryable failures open it, and
 *    while it is open calls fail at once with BreakerOpenError (no request is made) until, after
 *    `halfOpenAfterMs`, one trial call is let through: success closes it, failure opens it again;
 * 4. `onStateChange(key, state)` is told of every transition (the account shows it); it must not throw.
 * Breakers live in this process's memory: each worker process has its own.
 */
export class Resilience {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly openedAt = new Map<string, number>();

  constructor(
    private readonly config: ResilienceConfig,
    private readonly onStateChange: (key: string, state: BreakerStateName) => void = () => undefined,
  ) {}

  breaker(key: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isRetryable), {
        halfOpenAfter: this.config.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.config.breakerThreshold),
      });
      breaker.onStateChange((state) => {
        if (state === CircuitState.Open) this.openedAt.set(key, Date.now());
        this.onStateChange(key, stateNames[state]);
      });
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** The breaker's state for `key` (closed when it has never been used in this process). */
  state(key: string): BreakerStateName {
    const breaker = this.breakers.get(key);
    return breaker ? stateNames[breaker.state] : "closed";
  }

  /**
   * How long calls for `key` will still be refused without a request (0: a call would go through, as a normal or a
   * half-open trial call). What a job checks before starting, so that it waits instead of failing.
   */
  waitMs(key: string): number {
    const breaker = this.breakers.get(key);
    if (!breaker || breaker.state !== CircuitState.Open) return 0;
    return Math.max(0, (this.openedAt.get(key) ?? 0) + this.config.halfOpenAfterMs - Date.now());
  }

  async run<T>(key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { config } = this;
    const inline = handleWhen((err) => isRetryable(err) && !(err instanceof BreakerOpenError) && ((err as ProviderError).retryAfterMs ?? 0) <= config.maxInlineWaitMs);
    const retries = retry(inline, {
      maxAttempts: config.attempts - 1,
      backoff: new RetryAfterBackoff(new ExponentialBackoff({ initialDelay: config.backoffMs, maxDelay: config.backoffMs * 32 })),
    });
    const attemptTimeout = timeout(config.timeoutMs, TimeoutStrategy.Cooperative);
    const breaker = this.breaker(key);
    const guarded = async (signal: AbortSignal) => {
      try {
        return await breaker.execute(() => attemptTimeout.execute(({ signal: s }) => fn(s).catch((err) => {
          throw s.aborted && !(err instanceof ProviderError) ? new ProviderError("retryable", `timed out after ${config.timeoutMs} ms`) : err;
        }), signal));
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw new BreakerOpenError(key, config.halfOpenAfterMs);
        if (err instanceof TaskCancelledError) throw new ProviderError("retryable", `timed out after ${config.timeoutMs} ms`);
        throw err;
      }
    };
    return wrap(retries).execute(({ signal }) => guarded(signal));
  }
}
