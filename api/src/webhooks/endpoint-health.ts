import type { WebhookConfig } from "./config.ts";

/** One hour of an endpoint's attempts. Rates and percentiles are null when the hour has none to compute them from. */
export interface HealthBucket {
  start: Date;
  attempts: number;
  successes: number;
  successRate: number | null;
  /** Latency of the attempts that got an answer (any status), in ms. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export type BreakerState = "CLOSED" | "OPEN" | "HALF_OPEN";

export interface EndpointHealth {
  /** Start of the window: the 24 hourly buckets end with the current hour. */
  since: Date;
  total: Omit<HealthBucket, "start">;
  hourly: HealthBucket[];
  breaker: BreakerState;
  /** When the endpoint will be disabled if every attempt keeps failing; null while it is not failing, or disabled. */
  autoDisableAt: Date | null;
}

type Raw = { $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T> };
type Row = { start: Date | null; attempts: number; successes: number; p50: number | null; p95: number | null };

/**
 * An endpoint's health over the last 24 hours, computed by PostgreSQL from its attempt log: per hour and in total,
 * attempts, successes, success rate and the p50/p95 latency of the attempts that got an answer (one statement,
 * `GROUPING SETS`; the attempts are read through the `(endpointId, startedAt)` index). Runs on the caller's client,
 * so under the request's row-level security. `breaker`: the circuit breaker's state as the attempt log shows it (the
 * breaker itself lives in each worker process: webhooks/endpoint-guards.ts): OPEN after `breakerThreshold`
 * consecutive failed attempts, for `breakerOpenMs` after the last one, then HALF_OPEN (the next attempt is a probe);
 * CLOSED otherwise. `autoDisableAt`: `failingSince` + WEBHOOK_DISABLE_AFTER_MS (jobs/webhook-deliver.ts).
 */
export async function endpointHealth(
  db: Raw,
  endpoint: { id: string; failingSince: Date | null; disabled: boolean },
  config: Pick<WebhookConfig, "breakerThreshold" | "breakerOpenMs">,
  disableAfterMs: number,
  now = new Date(),
): Promise<EndpointHealth> {
  const rows = await db.$queryRaw<Row[]>`
    WITH hours AS (
      SELECT generate_series(date_trunc('hour', ${now}::timestamp) - interval '23 hours', date_trunc('hour', ${now}::timestamp), interval '1 hour') AS start
    )
    SELECT h.start, count(a."id")::int AS attempts, (count(a."id") FILTER (WHERE a."success"))::int AS successes,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY a."latencyMs") FILTER (WHERE a."statusCode" IS NOT NULL) AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY a."latencyMs") FILTER (WHERE a."statusCode" IS NOT NULL) AS p95
    FROM hours h
    LEFT JOIN "WebhookAttempt" a ON a."endpointId" = ${endpoint.id}::uuid AND a."startedAt" >= h.start AND a."startedAt" < h.start + interval '1 hour'
    GROUP BY GROUPING SETS ((h.start), ())
    ORDER BY h.start NULLS LAST`;
  const recent = await db.$queryRaw<Array<{ success: boolean; startedAt: Date }>>`
    SELECT "success", "startedAt" FROM "WebhookAttempt" WHERE "endpointId" = ${endpoint.id}::uuid
    ORDER BY "startedAt" DESC LIMIT ${config.breakerThreshold}`;
  const figures = (r: Row) => ({
    attempts: r.attempts,
    successes: r.successes,
    successRate: r.attempts ? r.successes / r.attempts : null,
    latencyP50Ms: r.p50 === null ? null : Number(r.p50),
    latencyP95Ms: r.p95 === null ? null : Number(r.p95),
  });
  const hourly = rows.filter((r) => r.start !== null).map((r) => ({ start: r.start!, ...figures(r) }));
  const total = rows.find((r) => r.start === null)!;
  const tripped = recent.length >= config.breakerThreshold && recent.every((a) => !a.success);
  const breaker: BreakerState = !tripped ? "CLOSED" : now.getTime() - recent[0]!.startedAt.getTime() < config.breakerOpenMs ? "OPEN" : "HALF_OPEN";
  const autoDisableAt = endpoint.failingSince && !endpoint.disabled ? new Date(endpoint.failingSince.getTime() + disableAfterMs) : null;
  return { since: hourly[0]!.start, total: figures(total), hourly, breaker, autoDisableAt };
}
