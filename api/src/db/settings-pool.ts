import pg from "pg";
import { currentSettings, SYSTEM, type SessionSettings } from "./session-settings.ts";

const TAG = Symbol("session settings");
type TaggedClient = pg.PoolClient & { [TAG]?: string };

/**
 * A pg Pool whose connections carry the session settings (role, `app.tenant_id`) of the work that checks them
 * out. Prisma's adapter (`new PrismaPg(pool)`) runs every statement outside a transaction with `pool.query`, and
 * every transaction on a client from `pool.connect`; both go through `connect`, which:
 * 1. reads the settings the work needs (`currentSettings()`, db/session-settings.ts) synchronously, when it is
 *    called, so waiting for a connection can never hand the work another's settings;
 * 2. before handing out a connection tagged otherwise, switches it with one statement at session level, outside any
 *    transaction (so no COMMIT or ROLLBACK can undo it); a connection already tagged with them costs nothing;
 *    a new connection is tagged SYSTEM (its own role, no tenant);
 * 3. prefers an idle connection that already carries the settings, else a new one while the pool is not full;
 * 4. destroys, instead of pooling, a connection released with an error, released inside a transaction (whatever
 *    ran there, session-level settings included, is not known), or whose switch failed.
 * Settings changed for one transaction (`set_config(..., true)`, `SET LOCAL`) end with it and leave the tag true;
 * nothing else may change session settings on these connections.
 */
export class SettingsPool extends pg.Pool {
  /** This process's pools not yet ended (for the pool gauges of /metrics, `poolStats` in db/client.ts). */
  static readonly open = new Set<SettingsPool>();

  /** Called with every settings statement the pool sends (test instrumentation, like `observeSql`). */
  onSettingsStatement: ((sql: string, values: readonly string[]) => void) | null = null;

  constructor(config?: pg.PoolConfig) {
    super(config);
    SettingsPool.open.add(this);
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    SettingsPool.open.delete(this);
    return callback ? super.end(callback) : super.end();
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    const settings = currentSettings();
    const ready = this.checkOut(settings).then((client) => this.prepare(client as TaggedClient, settings));
    if (!callback) return ready;
    ready.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (err: Error) => callback(err, undefined, () => undefined),
    );
  }

  /**
   * Best effort, for speed only (correctness never depends on it), when nothing is waiting for a connection: an idle
   * connection that already carries `settings` is put where pg-pool takes the next one from (the end of its idle
   * list); when none does and the pool is not full, a new connection is opened rather than an idle one switched. So
   * the system's work and each tenant's keep to connections already switched for them, up to the pool's size.
   */
  private checkOut(settings: SessionSettings): Promise<pg.PoolClient> {
    const pool = this as unknown as { _idle?: Array<{ client: TaggedClient }>; _pendingQueue?: unknown[]; _isFull?: () => boolean };
    const idle = pool._idle;
    if (!Array.isArray(idle) || idle.length === 0 || pool._pendingQueue?.length !== 0 || typeof pool._isFull !== "function") return super.connect();
    for (let i = idle.length - 1; i >= 0; i--) {
      if ((idle[i]!.client[TAG] ?? SYSTEM.key) !== settings.key) continue;
      if (i !== idle.length - 1) idle.push(...idle.splice(i, 1));
      return super.connect();
    }
    if (pool._isFull.call(this)) return super.connect();
    pool._idle = []; // pg-pool opens a new connection when none is idle and it is not full
    try {
      return super.connect();
    } finally {
      pool._idle = idle;
    }
  }

  private async prepare(client: TaggedClient, settings: SessionSettings): Promise<pg.PoolClient> {
    const release = client.release;
    client.release = (err?: Error | boolean) => {
      const unsafe = !err && client.getTransactionStatus() !== "I" ? new Error("connection released inside a transaction") : undefined;
      return release(err || unsafe);
    };
    const tag = client[TAG] ?? SYSTEM.key;
    if (tag === settings.key) return client;
    client[TAG] = undefined;
    try {
      this.onSettingsStatement?.(settings.sql, settings.values);
      await client.query(settings.sql, [...settings.values]);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    client[TAG] = settings.key;
    return client;
  }
}
