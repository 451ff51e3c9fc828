import type pg from "pg";
import { query } from "../db/sql.ts";

/** A bigint advisory-lock key from an endpoint's UUID (its first 64 bits: 60 of them random). */
export function endpointLockKey(endpointId: string): string {
  const hex = endpointId.replace(/-/g, "").slice(0, 16);
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new Error(`not a UUID: ${endpointId}`);
  return BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
}

/**
 * Takes the endpoint's lock and readies the session in one statement: it acts for one tenant (row-level security),
 * with `synchronous_commit = off` (webhooks/attempt-log.ts says what that risks: nothing but a repeated attempt).
 * Set only when the lock was taken (CASE evaluates its branch only then).
 */
const LOCK = {
  name: "h2o_drain_lock",
  text: `SELECT CASE WHEN pg_try_advisory_lock($1::bigint)
    THEN set_config('app.tenant_id', $2, false) IS NOT NULL AND set_config('synchronous_commit', 'off', false) IS NOT NULL
    ELSE false END AS locked`,
};

/**
 * One drain's hold on an endpoint: one drain per endpoint runs at a time, across every worker process, under a
 * session-level advisory lock on a connection of `pool`. Postgres releases it when the session ends, so a worker that
 * dies (kill -9) never leaves an endpoint locked; a connection whose unlock failed is destroyed, not reused, for the
 * same reason. Never waits: when another drain holds the endpoint, `lockEndpoint` returns null.
 * `client` is the locked connection: the drain reads its line and writes its attempts on it, as the tenant.
 */
export interface DrainSession {
  readonly client: pg.PoolClient;
  /**
   * Unlocks, resets the session (tenant, synchronous_commit) so the connection goes back to the pool as it came,
   * and returns it. `after`: one statement to run once the lock is released, with the tenant still set, in the same
   * round trip (a simple query, so its literals are in its text: each of its statements takes its own snapshot, so
   * `after` sees what committed before the unlock); its rows are returned.
   */
  unlock(after?: string): Promise<Array<Record<string, unknown>>>;
}

export async function lockEndpoint(pool: pg.Pool, tenantId: string, endpointId: string): Promise<DrainSession | null> {
  const key = endpointLockKey(endpointId);
  const client = await pool.connect();
  let locked: boolean;
  try {
    locked = (await query<{ locked: boolean }>(client, { ...LOCK, values: [key, tenantId] })).rows[0]?.locked === true;
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  if (!locked) {
    client.release();
    return null;
  }
  let released = false;
  return {
    client,
    async unlock(after) {
      if (released) return [];
      released = true;
      const reset = "SELECT set_config('app.tenant_id', '', false), set_config('synchronous_commit', (SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'), false)";
      // one round trip; should any of it fail, the connection (maybe still locked, still the tenant's) is destroyed
      try {
        const results = await query(client, `SELECT pg_advisory_unlock(${key}::bigint);${after ? ` ${after};` : ""} ${reset}`);
        client.release();
        return after ? (results as unknown as pg.QueryResult[])[1]!.rows : [];
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    },
  };
}
