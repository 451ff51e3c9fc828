import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhenResult,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type CircuitState,
} from "cockatiel";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

export interface EndpointGuardOptions {
  /** Requests in flight to one endpoint at most; more are deferred, never queued (a queue would hold a worker slot). */
  concurrency: number;
  /** Consecutive failed attempts that open the endpoint's circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses attempts before letting one probe through (half-open). */
  breakerOpenMs: number;
  /** When a deferral for concurrency should try again. */
  concurrencyRetryMs?: number;
}

export type GuardedOutcome<T> =
  | { kind: "ran"; result: T }
  /** The circuit is open: nothing was sent. */
  | { kind: "circuit_open" }
  /** The endpoint's concurrency or rate limit is reached here: nothing was sent; try again after `retryAfterMs`. */
  | { kind: "deferred"; reason: "concurrency" | "rate"; retryAfterMs: number };

interface Guard {
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
  rate: number | null;
  limiter: RateLimiterMemory | null;
}

/**
 * Per-endpoint protection in one process: a circuit breaker (cockatiel, consecutive failures → open for
 * `breakerOpenMs` → one half-open probe), a concurrency limit (cockatiel bulkhead without a queue) and a rate
 * limit in messages per second (rate-limiter-flexible). One endpoint at its limits never delays another.
 * Limits are per process: N workers allow N × the limit.
 */
export class EndpointGuards {
  private readonly guards = new Map<string, Guard>();

  constructor(private readonly options: EndpointGuardOptions) {}

  /** Runs `attempt` under the endpoint's guards; a result with `success: false` counts as a failure. `attempt` must not throw. */
  async run<T extends { success: boolean }>(endpointId: string, ratePerSecond: number | null, attempt: () => Promise<T>): Promise<GuardedOutcome<T>> {
    const guard = this.guard(endpointId, ratePerSecond);
    try {
      return await guard.bulkhead.execute(async (): Promise<GuardedOutcome<T>> => {
        if (guard.limiter) {
          try {
            await guard.limiter.consume(endpointId);
          } catch (res) {
            if (res instanceof RateLimiterRes) return { kind: "deferred", reason: "rate", retryAfterMs: Math.max(1, res.msBeforeNext) };
            throw res;
          }
        }
        return { kind: "ran", result: await guard.breaker.execute(attempt) };
      });
    } catch (err) {
      if (err instanceof BulkheadRejectedError) return { kind: "deferred", reason: "concurrency", retryAfterMs: this.options.concurrencyRetryMs ?? 1_000 };
      if (err instanceof BrokenCircuitError) return { kind: "circuit_open" };
      throw err;
    }
  }

  /** The circuit state of an endpoint (Closed when it was never used). */
  circuitState(endpointId: string): CircuitState | undefined {
    return this.guards.get(endpointId)?.breaker.state;
  }

  /** Drops an endpoint's state (deleted endpoint, or its URL changed and it deserves a fresh circuit). */
  forget(endpointId: string): void {
    this.guards.delete(endpointId);
  }

  private guard(endpointId: string, ratePerSecond: number | null): Guard {
    const rate = ratePerSecond && ratePerSecond > 0 ? ratePerSecond : null;
    let guard = this.guards.get(endpointId);
    if (!guard) {
      guard = {
        breaker: circuitBreaker(
          handleWhenResult((r) => !(r as { success: boolean }).success),
          { halfOpenAfter: this.options.breakerOpenMs, breaker: new ConsecutiveBreaker(this.options.breakerThreshold) },
        ),
        bulkhead: bulkhead(this.options.concurrency, 0),
        rate: null,
        limiter: null,
      };
      this.guards.set(endpointId, guard);
    }
    if (guard.rate !== rate) {
      guard.rate = rate;
      guard.limiter = rate ? new RateLimiterMemory({ points: rate, duration: 1 }) : null;
    }
    return guard;
  }
}
