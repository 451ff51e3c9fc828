import { modelOfDelegate, readUnique, updateVersioned } from "../db/sql-read.ts";
import { AppError, ErrorCode, notFound } from "../errors.ts";

/** The part of a Prisma model delegate that versioned writes need (every versioned model has `id` and `version`). */
export interface VersionedDelegate<Row> {
  findUnique(args: { where: { id: string } }): PromiseLike<Row | null>;
  updateManyAndReturn(args: { where: { id: string; version: number }; data: Record<string, unknown> }): PromiseLike<Row[]>;
}

/** A versioned model of a client: its delegate, and the client and model name the statements run in SQL with. */
export interface Versioned<Row> {
  db: object;
  model: string;
  delegate: VersionedDelegate<Row>;
}

/**
 * `tx`'s delegate `key` (`"job"`) as `versionedUpdate` takes it: inside a pinned transaction of a tenant-scoped
 * client, the row before and the update are then statements of db/sql-read.ts, else Prisma's (its client was about
 * a tenth of changeJobStatus's API CPU: npm run bench -- http --scenario change-job-status).
 */
export function versioned<T extends object, K extends keyof T & string>(tx: T, key: K): { db: T; model: string; delegate: T[K] } {
  const model = modelOfDelegate(key);
  if (!model) throw new Error(`versioned: ${key} is not a model's delegate`);
  return { db: tx, model, delegate: tx[key] };
}

interface VersionedRow {
  id: string;
  version: number;
  archivedAt?: Date | null;
}

export const staleVersion = (entity: string, current: number, expected: number) =>
  new AppError(ErrorCode.CONFLICT, `this ${entity} was changed by someone else (version ${current}, you sent ${expected}); reload and retry`, {
    field: ["input", "expectedVersion"],
    details: { currentVersion: current, expectedVersion: expected },
  });

/**
 * Optimistic concurrency for one row, inside the caller's transaction: loads the row (NOT_FOUND when it does not
 * exist for this tenant), refuses a stale `expectedVersion` or an archived row with CONFLICT, then applies `data`
 * with `version + 1` only where the version is still the expected one (so a concurrent writer that slipped in
 * between also ends in CONFLICT, never in a silent overwrite). Returns the row before and after.
 * `expectedVersion` undefined: a change that does not depend on what a caller read (the worker disabling a failing
 * webhook endpoint): the version read here is expected, so a concurrent writer still ends it in CONFLICT.
 */
export async function versionedUpdate<Row extends VersionedRow>(
  { db, model, delegate }: Versioned<Row>,
  entity: string,
  id: string,
  expectedVersion: number | undefined,
  change: Record<string, unknown> | ((before: Row) => Record<string, unknown>),
): Promise<{ before: Row; after: Row }> {
  const find = () => readUnique<Row | null>(db, model, { where: { id } }, () => Promise.resolve(delegate.findUnique({ where: { id } })));
  const before = await find();
  if (!before) throw notFound(entity);
  const expected = expectedVersion ?? before.version;
  if (before.version !== expected) throw staleVersion(entity, before.version, expected);
  if (before.archivedAt) throw new AppError(ErrorCode.CONFLICT, `this ${entity} is archived and can no longer change`, { details: { currentVersion: before.version } });
  const data = typeof change === "function" ? change(before) : change;
  // one statement: UPDATE ... WHERE version = expected RETURNING the row after
  const update = { where: { id, version: expected }, data: { ...data, version: { increment: 1 } } };
  const [after] = await updateVersioned<Row[]>(db, model, update, () => Promise.resolve(delegate.updateManyAndReturn(update)));
  if (!after) {
    const current = await find();
    throw current ? staleVersion(entity, current.version, expected) : notFound(entity);
  }
  return { before, after };
}
