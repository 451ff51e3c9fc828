import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { currentSettings, SYSTEM, withSettings, type SessionSettings } from "./session-settings.ts";

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
 * Inside `pinnedTransaction`, statements with the transaction's settings go to its connection instead (see there).
 */
export class SettingsPool extends pg.Pool {
  /** This process's pools not yet ended (for the pool gauges of /metrics, `poolStats` in db/client.ts). */
  static readonly open = new Set<SettingsPool>();

  /** Called with every settings statement the pool sends (test instrumentation, like `observeSql`). */
  onSettingsStatement: ((sql: string, values: readonly string[]) => void) | null = null;

  constructor(config?: pg.PoolConfig) {
    super(config);
    SettingsPool.open.add(this);
    // pg-pool's `query`, except that a statement with the settings of the pinned transaction it runs in goes to that
    // transaction's connection (`pinnedTransaction` below)
    const query = pg.Pool.prototype.query as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const pin = pinOf(this);
      return pin ? pin.query(args) : query.apply(this, args);
    }) as pg.Pool["query"];
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
    const pin = pinOf(this);
    if (pin) {
      // a transaction started inside the pinned one (Prisma opens one for an operation of several statements)
      const nested = pin.nested();
      if (!callback) return Promise.resolve(nested);
      return void callback(undefined, nested, () => undefined);
    }
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

let pinCount = 0;

/** The connection of a transaction run by `pinnedTransaction`, while it runs. */
class Pin {
  /** Tells this transaction apart from every other of the process (db/prisma-batching.ts batches by it). */
  readonly key = `pin:${++pinCount}`;
  open = true;
  constructor(
    readonly pool: SettingsPool,
    readonly client: pg.PoolClient,
    readonly settings: SessionSettings,
  ) {}

  query(args: unknown[]): Promise<unknown> {
    if (!this.open) return Promise.reject(new Error("this transaction has ended: a statement started in it can no longer run"));
    return (this.client.query as (...a: unknown[]) => Promise<unknown>)(...args);
  }

  /**
   * A transaction inside this one, as pg-pool's client: its BEGIN, COMMIT and ROLLBACK become a savepoint, its
   * release, its error listeners and everything else stay the outer transaction's concern.
   */
  nested(): pg.PoolClient {
    const savepoint: Record<string, string> = { BEGIN: "SAVEPOINT nested", COMMIT: "RELEASE SAVEPOINT nested", ROLLBACK: "ROLLBACK TO SAVEPOINT nested" };
    const query = (config: unknown, ...rest: unknown[]) => {
      const text = typeof config === "string" ? config : (config as { text: string }).text;
      const replaced = savepoint[text];
      const args = replaced ? [typeof config === "string" ? replaced : { ...(config as object), text: replaced, name: undefined }, ...rest] : [config, ...rest];
      return this.query(args);
    };
    return { query, release: () => undefined, on: () => undefined, removeListener: () => undefined } as unknown as pg.PoolClient;
  }
}

const pins = new AsyncLocalStorage<Pin>();

/** The pinned transaction a statement of `pool` with the current settings belongs to, if any. */
function pinOf(pool: SettingsPool): Pin | undefined {
  const pin = pins.getStore();
  return pin && pin.pool === pool && pin.settings.key === currentSettings().key ? pin : undefined;
}

/** The pinned transaction the code running now is in (for db/prisma-batching.ts, which must keep it through Prisma's batching). */
export const currentPin = (): { readonly key: string } | undefined => pins.getStore();

/** Runs `fn` in the pinned transaction `pin` (one captured by `currentPin`); undefined: outside any. */
export function withPin<T>(pin: { readonly key: string } | undefined, fn: () => T): T {
  return pin ? pins.run(pin as Pin, fn) : pins.exit(fn);
}

export class TransactionTimeoutError extends Error {
  override name = "TransactionTimeoutError";
  constructor(ms: number) {
    super(`the transaction ran longer than ${ms} ms and was rolled back`);
  }
}

/**
 * One transaction with `settings` (db/rls.ts's tenantTransaction: APP_ROLE and a tenant) on one connection of `pool`,
 * at pg's cost rather than an interactive Prisma transaction's (about 350 µs of CPU less per transaction): a
 * connection is checked out with the settings (switched only if it does not carry them), BEGIN, `fn`, COMMIT (or
 * ROLLBACK when `fn` throws, and the error reaches the caller). While `fn` runs, every statement this pool is asked
 * to run with `settings` (Prisma's operations through a client of those settings, db/sql-read.ts's reads) goes to
 * that connection, inside the transaction; statements with other settings (the system's, through the root client)
 * check out connections of their own as usual. A transaction Prisma opens inside it becomes a savepoint. Once it has
 * ended, a statement started from it fails instead of running elsewhere. After `timeoutMs` it is rolled back and
 * `fn`'s outcome is a TransactionTimeoutError.
 */
export async function pinnedTransaction<R>(pool: SettingsPool, settings: SessionSettings, fn: () => Promise<R>, timeoutMs: number): Promise<R> {
  const client = await withSettings(settings, () => pool.connect());
  const pin = new Pin(pool, client, settings);
  let released = false;
  const release = (err?: Error) => void (released || ((released = true), client.release(err)));
  const rollback = () => client.query("ROLLBACK").then(() => release(), (err: Error) => release(err));
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    pin.open = false;
    void rollback();
  }, timeoutMs);
  try {
    await client.query("BEGIN");
    const result = await pins.run(pin, fn);
    if (expired) throw new TransactionTimeoutError(timeoutMs);
    pin.open = false;
    clearTimeout(timer);
    await client.query("COMMIT");
    release();
    return result;
  } catch (err) {
    pin.open = false;
    clearTimeout(timer);
    if (!expired) await rollback();
    throw expired && !(err instanceof TransactionTimeoutError) ? new TransactionTimeoutError(timeoutMs) : err;
  }
}
