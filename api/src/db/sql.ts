import type pg from "pg";
import { tracing } from "../telemetry/hooks.ts";

/**
 * Runs one query on a pg connection (a string of several statements is a simple query: no parameters, one round
 * trip, a result each). The worker's hand-written statements (webhook drain and fan-out) go through it: with tracing
 * on, each runs in a `pg.query` span carrying its text, as Prisma's own statements get theirs; off, it is
 * `client.query` after one `undefined` check.
 */
export function query<R extends pg.QueryResultRow = Record<string, unknown>>(client: pg.ClientBase, q: string | pg.QueryConfig): Promise<pg.QueryResult<R>> {
  const run = () => client.query<R>(q);
  if (!tracing.span) return run();
  return tracing.span("pg.query", { "db.system.name": "postgresql", "db.query.text": typeof q === "string" ? q : q.text }, undefined, run);
}
