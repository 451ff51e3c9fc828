/** What the audit maintenance functions need of a connection: `pg.Client`, `pg.PoolClient` and `pg.Pool` all fit. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export const AUDIT_TABLE = "AuditEvent";
export const DEFAULT_PARTITION = "AuditEvent_default";
const PARTITION_NAME = /^AuditEvent_p(\d{4})(\d{2})$/;

/** The first instant (UTC) of the month `offset` months after the one containing `at`. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/** The partition holding the month that starts at `month`: `AuditEvent_pYYYYMM`. */
export const partitionName = (month: Date) => `AuditEvent_p${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, "0")}`;

/** The month a partition name stands for (its first instant, UTC), or null for any other table name. */
export function partitionMonth(name: string): Date | null {
  const m = PARTITION_NAME.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

/**
 * Makes sure an audit row of any month from `now`'s to `monthsAhead` months later has its partition, and moves
 * rows that fell into the DEFAULT partition (a month that had none yet) into partitions of their own. Idempotent
 * and safe to run concurrently (the database function `audit_ensure_partition` takes an advisory lock). The worker
 * runs it when it starts and daily (jobs/audit-maintenance.ts); the migration created the first four months.
 * Returns the partitions it created or re-attached.
 */
export async function ensureAuditPartitions(db: Queryable, now = new Date(), monthsAhead = 3): Promise<string[]> {
  const months = new Map<string, Date>();
  for (let i = 0; i <= monthsAhead; i++) {
    const month = monthStart(now, i);
    months.set(partitionName(month), month);
  }
  const stray = await db.query<{ month: string }>(
    `SELECT DISTINCT to_char(date_trunc('month', "changedAt"), 'YYYY-MM-DD') AS month FROM "${DEFAULT_PARTITION}"`,
  );
  for (const { month } of stray.rows) {
    const start = new Date(`${month}T00:00:00Z`);
    months.set(partitionName(start), start);
  }
  const created: string[] = [];
  for (const month of months.values()) {
    const { rows } = await db.query<{ name: string | null }>("SELECT audit_ensure_partition($1::date) AS name", [month.toISOString().slice(0, 10)]);
    if (rows[0]?.name) created.push(rows[0].name);
  }
  return created;
}

export interface AuditPartition {
  name: string;
  /** First instant of the month (inclusive) and of the next one (exclusive), UTC. */
  from: Date;
  to: Date;
  /** false for a monthly table left detached by an archival that did not finish. */
  attached: boolean;
}

/** The monthly partitions, oldest first (the DEFAULT partition is not among them), attached or left detached. */
export async function listAuditPartitions(db: Queryable): Promise<AuditPartition[]> {
  const { rows } = await db.query<{ name: string; attached: boolean }>(
    `SELECT c.relname AS name, EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid) AS attached
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname ~ '^AuditEvent_p[0-9]{6}$'
      ORDER BY c.relname`,
  );
  return rows.map(({ name, attached }) => {
    const from = partitionMonth(name)!;
    return { name, from, to: monthStart(from, 1), attached };
  });
}
