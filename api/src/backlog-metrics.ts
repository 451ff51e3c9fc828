import { Gauge, type Registry } from "prom-client";
import type { Logger } from "pino";
import type { Prisma } from "./db/client.ts";

/**
 * What waits in the database, read when /metrics is scraped (so every API replica reports the same numbers and the
 * worker needs no HTTP server of its own):
 * - `worker_jobs{task,state}`: graphile-worker's jobs by task and state: `waiting` (due, not started), `scheduled`
 *   (due later: retries' backoff, wake-ups), `running`, `retrying` (failed at least once, will run again) and
 *   `failed` (out of attempts, kept for inspection). Alert on `failed` and on a `retrying` that does not fall.
 * - `webhook_fanout_backlog_seconds`: how old the oldest webhook message not yet fanned out is (0 when none). Its
 *   tenant's later webhooks wait behind it (webhooks/fanout-barrier.ts), so a value that keeps growing means a stuck
 *   fan-out. One index probe per tenant.
 * A failing query (database away) leaves the gauges empty for that scrape and is logged; /readyz says why.
 */
export function registerBacklogMetrics(registry: Registry, db: () => Prisma, log: Logger): void {
  const failed = (what: string) => (err: unknown) => log.warn({ err }, `metrics: reading ${what} failed`);
  new Gauge({
    name: "worker_jobs",
    help: "Background jobs by task and state (waiting, scheduled, running, retrying, failed)",
    labelNames: ["task", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db()
        .$queryRaw<Array<{ task: string; state: string; n: number }>>`
          SELECT task_identifier AS task,
                 CASE WHEN attempts >= max_attempts THEN 'failed'
                      WHEN locked_at IS NOT NULL THEN 'running'
                      WHEN attempts > 0 THEN 'retrying'
                      WHEN run_at > now() THEN 'scheduled'
                      ELSE 'waiting' END AS state,
                 count(*)::int AS n
          FROM graphile_worker.jobs GROUP BY 1, 2`
        .catch(failed("jobs"));
      for (const r of rows ?? []) this.set({ task: r.task, state: r.state }, r.n);
    },
  });
  new Gauge({
    name: "webhook_fanout_backlog_seconds",
    help: "Age of the oldest webhook message not yet fanned out (0: none); its tenant's later webhooks wait behind it",
    registers: [registry],
    async collect() {
      const rows = await db()
        .$queryRaw<Array<{ age: number | null }>>`
          SELECT extract(epoch FROM now() - min(m."occurredAt"))::float8 AS age
          FROM "Tenant" t
          CROSS JOIN LATERAL (
            SELECT "occurredAt" FROM "WebhookMessage"
            WHERE "tenantId" = t.id AND "fannedOutAt" IS NULL
            ORDER BY "tenantId", "fannedOutAt", "occurredAt", "id" LIMIT 1
          ) m`
        .catch(failed("the webhook fan-out backlog"));
      if (rows) this.set(Math.max(0, rows[0]?.age ?? 0));
    },
  });
}
