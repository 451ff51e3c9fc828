// What `npm run bench -- http` asks both servers: each scenario is a list of operations a connection sends in turn
// (the 80/20 mix: four reads, then a write). The API gets the GraphQL request at /graphql; the baseline gets the
// same body at /s/<route>.
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
}

export interface Scenario {
  name: string;
  ops: Operation[];
}

export interface Fixtures {
  headers: Record<Auth, Record<string, string>>;
  nodeJobGlobalId: string;
}

const JOBS_BOARD = `query JobsBoard($first: Int!) { jobs(first: $first) { totalCount edges { node { id status community lot builder { id name } } } } }`;
const JOBS_BOARD_NO_COUNT = `query JobsBoard($first: Int!) { jobs(first: $first) { edges { node { id status community lot builder { id name } } } } }`;
const DISPATCH = `query Dispatch($first: Int!, $filter: ServiceCallFilter) { serviceCalls(first: $first, filter: $filter, orderBy: { field: PRIORITY, direction: ASC }) { totalCount edges { node { id customerName priority status windowStart assignedTechnician } } } }`;
const NODE = `query Node($id: ID!) { node(id: $id) { id ... on Job { status community lot builder { id name } } } }`;
export const CHANGE_JOB_STATUS = `mutation ChangeJobStatus($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id status version } } }`;

const jobsBoard: Operation = { query: JOBS_BOARD, route: "jobs-count", auth: "jobs-user", variables: () => ({ first: 25 }) };
const changeStatus: Operation = { query: CHANGE_JOB_STATUS, route: "change-job-status", auth: "jobs-user", write: true };

export const scenarios: Scenario[] = [
  { name: "jobs-board", ops: [jobsBoard] },
  { name: "jobs-board-no-count", ops: [{ query: JOBS_BOARD_NO_COUNT, route: "jobs", auth: "jobs-user", variables: () => ({ first: 25 }) }] },
  {
    name: "dispatch",
    ops: [{ query: DISPATCH, route: "dispatch", auth: "calls-user", variables: () => ({ first: 25, filter: { priority: ["EMERGENCY", "URGENT"], status: ["NEW", "SCHEDULED", "DISPATCHED"] } }) }],
  },
  { name: "node", ops: [{ query: NODE, route: "node", auth: "jobs-user", variables: (fx) => ({ id: fx.nodeJobGlobalId }) }] },
  { name: "typename-user", ops: [{ query: "{ __typename }", route: "typename", auth: "jobs-user" }] },
  { name: "typename-apikey", ops: [{ query: "{ __typename }", route: "typename", auth: "api-key" }] },
  { name: "change-job-status", ops: [changeStatus] },
  { name: "mix-80-20", ops: [jobsBoard, jobsBoard, jobsBoard, jobsBoard, changeStatus] },
];

/** The move a pooled job makes next, and back: SCHEDULED ⇄ ON_HOLD (both allowed by the job state machine). */
export const nextStatus = (job: PooledJob) => (job.status === "scheduled" ? "on_hold" : "scheduled");

/** The request body of an operation; for a write, the move of `job`. */
export function body(op: Operation, fx: Fixtures, job?: PooledJob): string {
  const variables = op.write
    ? { input: { id: Buffer.from(`Job:${job!.id}`).toString("base64"), expectedVersion: job!.version, status: nextStatus(job!).toUpperCase() } }
    : op.variables?.(fx);
  return JSON.stringify(variables ? { query: op.query, variables } : { query: op.query });
}

/** Where the operation goes on each server. */
export const pathOf = (target: "api" | "baseline", op: Operation) => (target === "api" ? "/graphql" : `/s/${op.route}`);
