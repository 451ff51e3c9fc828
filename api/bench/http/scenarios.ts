// What `npm run bench -- http` asks the servers: each scenario is a list of operations a connection sends in turn
// (the 80/20 mix: four reads, then a write). The API gets the GraphQL request at /graphql; the baseline gets the
// same body at /s/<route>; PostGraphile (api/bench/postgraphile/), for the operations that have a `postgraphile`
// document, gets that document at /graphql: the same fields of the same rows in PostGraphile's vocabulary (allJobs,
// rowId, builderByBuilderId, its own node IDs), the same order, the same filter.
import type { PooledJob } from "./dataset.ts";

export type Auth = "jobs-user" | "calls-user" | "api-key";

export interface Operation {
  query: string;
  /** The baseline's route (api/bench/baseline/app.ts). */
  route: string;
  auth: Auth;
  variables?: (fx: Fixtures) => Record<string, unknown>;
  /** A changeJobStatus: each connection moves its own job between SCHEDULED and ON_HOLD. */
  write?: true;
  /** The same question as PostGraphile's amber schema asks it, when it can (reads only). */
  postgraphile?: { query: string; variables?: (fx: Fixtures) => Record<string, unknown> };
}

export interface Scenario {
  name: string;
  ops: Operation[];
}

export interface Fixtures {
  headers: Record<Auth, Record<string, string>>;
  nodeJobGlobalId: string;
  /** The same job's node ID in PostGraphile's encoding: base64 of `["Job","<uuid>"]`. */
  postgraphileNodeJobId: string;
}

export type Target = "api" | "baseline" | "postgraphile";

/** PostGraphile's node ID of a row (its default encoding: base64 of the JSON `[typeName, ...primaryKey]`). */
export const postgraphileNodeId = (type: string, id: string) => Buffer.from(JSON.stringify([type, id])).toString("base64");

const JOBS_BOARD = `query JobsBoard($first: Int!) { jobs(first: $first) { totalCount edges { node { id status community lot builder { id name } } } } }`;
const JOBS_BOARD_NO_COUNT = `query JobsBoard($first: Int!) { jobs(first: $first) { edges { node { id status community lot builder { id name } } } } }`;
const DISPATCH = `query Dispatch($first: Int!, $filter: ServiceCallFilter) { serviceCalls(first: $first, filter: $filter, orderBy: { field: PRIORITY, direction: ASC }) { totalCount edges { node { id customerName priority status windowStart assignedTechnician } } } }`;
const NODE = `query Node($id: ID!) { node(id: $id) { id ... on Job { status community lot builder { id name } } } }`;
export const CHANGE_JOB_STATUS = `mutation ChangeJobStatus($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id status version } } }`;

// The API's jobs board: not archived, newest change first (updatedAt DESC, id DESC: api/src/schema/, and the baseline's
// SQL in api/bench/baseline/queries.ts); PostGraphile's `condition: { archivedAt: null }` is `"archivedAt" IS NULL`.
const PG_JOB_FIELDS = `rowId status community lot builderByBuilderId { rowId name }`;
const PG_JOBS_BOARD = `query JobsBoard($first: Int!) { allJobs(first: $first, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC], condition: { archivedAt: null }) { totalCount edges { node { ${PG_JOB_FIELDS} } } } }`;
const PG_JOBS_BOARD_NO_COUNT = `query JobsBoard($first: Int!) { allJobs(first: $first, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC], condition: { archivedAt: null }) { edges { node { ${PG_JOB_FIELDS} } } } }`;
const PG_NODE = `query Node($id: ID!) { node(id: $id) { id ... on Job { status community lot builderByBuilderId { rowId name } } } }`;
// dispatch (priority IN …, status IN …) has no PostGraphile document: amber's `condition` is equality only (a filter
// plugin would be needed), and API keys are the API's own: PostGraphile answers the reads a user's token makes.

const jobsBoard: Operation = {
  query: JOBS_BOARD,
  route: "jobs-count",
  auth: "jobs-user",
  variables: () => ({ first: 25 }),
  postgraphile: { query: PG_JOBS_BOARD, variables: () => ({ first: 25 }) },
};
const changeStatus: Operation = { query: CHANGE_JOB_STATUS, route: "change-job-status", auth: "jobs-user", write: true };

export const scenarios: Scenario[] = [
  { name: "jobs-board", ops: [jobsBoard] },
  {
    name: "jobs-board-no-count",
    ops: [{ query: JOBS_BOARD_NO_COUNT, route: "jobs", auth: "jobs-user", variables: () => ({ first: 25 }), postgraphile: { query: PG_JOBS_BOARD_NO_COUNT, variables: () => ({ first: 25 }) } }],
  },
  {
    name: "dispatch",
    ops: [{ query: DISPATCH, route: "dispatch", auth: "calls-user", variables: () => ({ first: 25, filter: { priority: ["EMERGENCY", "URGENT"], status: ["NEW", "SCHEDULED", "DISPATCHED"] } }) }],
  },
  {
    name: "node",
    ops: [{ query: NODE, route: "node", auth: "jobs-user", variables: (fx) => ({ id: fx.nodeJobGlobalId }), postgraphile: { query: PG_NODE, variables: (fx) => ({ id: fx.postgraphileNodeJobId }) } }],
  },
  { name: "typename-user", ops: [{ query: "{ __typename }", route: "typename", auth: "jobs-user", postgraphile: { query: "{ __typename }" } }] },
  { name: "typename-apikey", ops: [{ query: "{ __typename }", route: "typename", auth: "api-key" }] },
  { name: "change-job-status", ops: [changeStatus] },
  { name: "mix-80-20", ops: [jobsBoard, jobsBoard, jobsBoard, jobsBoard, changeStatus] },
];

/** The move a pooled job makes next, and back: SCHEDULED ⇄ ON_HOLD (both allowed by the job state machine). */
export const nextStatus = (job: PooledJob) => (job.status === "scheduled" ? "on_hold" : "scheduled");

/** The request body of an operation; for a write, the move of `job`; for PostGraphile, its own document. */
export function body(op: Operation, fx: Fixtures, job?: PooledJob, target: Target = "api"): string {
  if (target === "postgraphile") {
    if (!op.postgraphile) throw new Error(`no PostGraphile document for ${op.route}`);
    const variables = op.postgraphile.variables?.(fx);
    return JSON.stringify(variables ? { query: op.postgraphile.query, variables } : { query: op.postgraphile.query });
  }
  const variables = op.write
    ? { input: { id: Buffer.from(`Job:${job!.id}`).toString("base64"), expectedVersion: job!.version, status: nextStatus(job!).toUpperCase() } }
    : op.variables?.(fx);
  return JSON.stringify(variables ? { query: op.query, variables } : { query: op.query });
}

/** Whether PostGraphile answers every operation of the scenario. */
export const postgraphileAnswers = (scenario: Scenario) => scenario.ops.every((op) => op.postgraphile);

/** Where the operation goes on each server. */
export const pathOf = (target: Target, op: Operation) => (target === "baseline" ? `/s/${op.route}` : "/graphql");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The uuid a global ID names, in the API's encoding (`Type:uuid`) or PostGraphile's (`["Type","uuid"]`); else null. */
function idIn(value: string): string | null {
  if (UUID.test(value)) return value.toLowerCase();
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return null;
  const text = Buffer.from(value, "base64").toString("utf8");
  const api = /^[A-Za-z]+:([0-9a-f-]{36})$/i.exec(text)?.[1];
  if (api && UUID.test(api)) return api.toLowerCase();
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === "string" && UUID.test(parsed[1])) return parsed[1].toLowerCase();
  } catch {
    /* not PostGraphile's either */
  }
  return null;
}

/**
 * What two answers must share whatever their vocabulary: every leaf value of `data`, in document order, with IDs
 * reduced to the row's uuid and strings compared without case (the API's enum values are upper case, PostGraphile's
 * are PostgreSQL's labels). Field names are left out: the same rows, the same values, the same order.
 */
export function leaves(data: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(data)) for (const item of data) leaves(item, out);
  else if (data !== null && typeof data === "object") for (const value of Object.values(data)) leaves(value, out);
  else out.push(typeof data === "string" ? (idIn(data) ?? data.toLowerCase()) : data);
  return out;
}
