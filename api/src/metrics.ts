import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { poolStats } from "./db/client.ts";

/** Prometheus metrics of one API process, served at /metrics. One registry per app (tests build several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["route", "method", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    dbPool: new Gauge({
      name: "db_pool_connections",
      help: "Database connections of this process: max (the pool size), open, idle, and waiting (requests queued for one)",
      labelNames: ["state"] as const,
      registers: [registry],
      collect() {
        const stats = poolStats();
        for (const state of ["max", "total", "idle", "waiting"] as const) this.set({ state }, stats[state]);
      },
    }),
    graphqlErrors: new Counter({
      name: "graphql_errors_total",
      help: "GraphQL errors returned to clients, by code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
