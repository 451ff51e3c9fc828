import type pg from "pg";

/** A bigint advisory-lock key from an endpoint's UUID (its first 64 bits: 60 of them random). */
export function endpointLockKey(endpointId: string): string {
  const hex = endpointId.replace(/-/g, "").slice(0, 16);
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new Error(`not a UUID: ${endpointId}`);
  return BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
}

/**
 * Makes one drain per endpoint run at a time, across every worker process: a session-level advisory lock on a
 * connection of `pool`, held while `fn` runs. Postgres releases it when the session ends, so a worker that dies
 * (kill -9) never leaves an endpoint locked; a connection whose unlock failed is destroyed, not reused, for the
 * same reason. Never waits: when another drain holds the endpoint, `fn` does not run (`{ locked: false }`).
 * `fn` gets the locked connection (the drain writes its attempts on it, as one tenant: webhooks/attempt-log.ts);
 * the unlock resets the session's `app.tenant_id` and `synchronous_commit` with it, so the connection goes back to the
 * pool as it came.
 */
export async function withEndpointLock<T>(pool: pg.Pool, endpointId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<{ locked: false } | { locked: true; value: T }> {
  const key = endpointLockKey(endpointId);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const locked = await client
      .query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key])
      .then((r) => r.rows[0]?.locked === true, (err: Error) => Promise.reject((broken = err)));
    if (!locked) return { locked: false };
    try {
      return { locked: true, value: await fn(client) };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::bigint), set_config('app.tenant_id', '', false), set_config('synchronous_commit', (SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'), false)", [key]).catch((err: Error) => (broken = err));
    }
  } finally {
    client.release(broken);
  }
}
