// The baseline's reads: hand-written SQL over the API's tables, shaped into the JSON the API returns for the bench's
// documents (global IDs `base64("Type:uuid")`, enum values upper-cased, DateTime as ISO 8601 in UTC). One statement
// per request; no row-level security and no role switch (the floor, not a second implementation of the guarantees).
import type pg from "pg";

export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

/** The uuid in a global ID of `type`, or null when it is not one. */
export function fromGlobalId(id: unknown, type: string): string | null {
  if (typeof id !== "string") return null;
  const decoded = Buffer.from(id, "base64").toString("utf8");
  const uuid = decoded.startsWith(`${type}:`) ? decoded.slice(type.length + 1) : "";
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid) ? uuid : null;
}

const upper = (v: string | null) => (v === null ? null : v.toUpperCase());
const iso = (v: Date | null) => (v === null ? null : v.toISOString());
const first = (v: unknown) => Math.max(0, Math.min(100, typeof v === "number" ? v : 20));

interface JobRow {
  id: string;
  status: string;
  community: string;
  lot: string | null;
  builder_id: string;
  builder_name: string;
  total?: number;
}

const jobNode = (r: JobRow) => ({
  id: globalId("Job", r.id),
  status: upper(r.status),
  community: r.community,
  lot: r.lot,
  builder: { id: globalId("Builder", r.builder_id), name: r.builder_name },
});

const JOB_COLUMNS = `j.id, j.status, j.community, j.lot, b.id AS builder_id, b.name AS builder_name`;

/** `jobs(first: N) { [totalCount] edges { node { id status community lot builder { id name } } } }`, newest change first. */
export async function jobsBoard(db: pg.Pool, tenantId: string, variables: Record<string, unknown>, withCount: boolean) {
  const sql = `
    SELECT ${JOB_COLUMNS}${withCount ? `, (SELECT count(*)::int FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL) AS total` : ""}
    FROM "Job" j JOIN "Builder" b ON b.id = j."builderId"
    WHERE j."tenantId" = $1 AND j."archivedAt" IS NULL
    ORDER BY j."updatedAt" DESC, j.id DESC LIMIT $2`;
  const { rows } = await db.query<JobRow>(sql, [tenantId, first(variables.first)]);
  const edges = rows.map((r) => ({ node: jobNode(r) }));
  if (!withCount) return { jobs: { edges } };
  const totalCount = rows.length
    ? rows[0]!.total!
    : ((await db.query(`SELECT count(*)::int AS n FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL`, [tenantId])).rows[0].n as number);
  return { jobs: { totalCount, edges } };
}

/** `node(id:) { id ... on Job { status community lot builder { id name } } }` for a job of the tenant. */
export async function jobNodeById(db: pg.Pool, tenantId: string, variables: Record<string, unknown>) {
  const id = fromGlobalId(variables.id, "Job");
  if (!id) return { node: null };
  const { rows } = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM "Job" j JOIN "Builder" b ON b.id = j."builderId" WHERE j.id = $1 AND j."tenantId" = $2`, [id, tenantId]);
  return { node: rows[0] ? jobNode(rows[0]) : null };
}

interface CallRow {
  id: string;
  customerName: string;
  priority: string;
  status: string;
  windowStart: Date | null;
  assignedTechnician: string | null;
  total: number;
}

/**
 * Dispatch: `serviceCalls(first: N, filter: { priority, status }, orderBy: { field: PRIORITY, direction: ASC })
 * { totalCount edges { node { id customerName priority status windowStart assignedTechnician } } }`.
 */
export async function dispatch(db: pg.Pool, tenantId: string, variables: Record<string, unknown>) {
  const filter = (variables.filter ?? {}) as { priority?: string[]; status?: string[] };
  const priorities = (filter.priority ?? []).map((p) => p.toLowerCase());
  const statuses = (filter.status ?? []).map((s) => s.toLowerCase());
  const params: unknown[] = [tenantId, first(variables.first)];
  const conditions = [`"tenantId" = $1`, `"archivedAt" IS NULL`];
  if (priorities.length) conditions.push(`priority = ANY($${params.push(priorities)}::"ServiceCallPriority"[])`);
  if (statuses.length) conditions.push(`status = ANY($${params.push(statuses)}::"ServiceCallStatus"[])`);
  const where = conditions.join(" AND ");
  const { rows } = await db.query<CallRow>(
    `SELECT id, "customerName", priority, status, "windowStart", "assignedTechnician", (SELECT count(*)::int FROM "ServiceCall" WHERE ${where}) AS total
     FROM "ServiceCall" WHERE ${where} ORDER BY priority ASC, id ASC LIMIT $2`,
    params,
  );
  const totalCount = rows.length ? rows[0]!.total : 0;
  const edges = rows.map((r) => ({
    node: { id: globalId("ServiceCall", r.id), customerName: r.customerName, priority: upper(r.priority), status: upper(r.status), windowStart: iso(r.windowStart), assignedTechnician: r.assignedTechnician },
  }));
  return { serviceCalls: { totalCount, edges } };
}
