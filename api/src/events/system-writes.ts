import { graphileJobSpec, type JobSpec } from "../jobs/queue.ts";

/** An `AuditEvent` row as the pipeline appends it (the column names of the table). */
export interface AuditRow {
  id: string;
  tenantId: string;
  /** UTC. */
  changedAt: string;
  actorKind: string;
  actorId: string | null;
  actorLabel: string | null;
  onBehalfOf: string | null;
  action: string;
  eventType: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A `WebhookMessage` row as the outbox appends it: the serialized envelope, not yet fanned out. */
export interface MessageRow {
  id: string;
  tenantId: string;
  eventType: string;
  payload: string;
  /** UTC. */
  occurredAt: string;
  targetEndpointId: string | null;
}

type RawExecutor = { $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number> };

/**
 * The trusted writes a change's transactional hooks make (its audit row, its outbox messages and their worker jobs),
 * collected while the hooks run and written by the pipeline in ONE statement at the end of the transaction:
 * `h2o_record_change` (migration record_change), which appends them with its owner's rights, so the transaction keeps
 * the application role and its tenant throughout, and row-level security still checks every row's tenant.
 */
export class SystemWrites {
  readonly audit: AuditRow[] = [];
  readonly messages: MessageRow[] = [];
  readonly jobs: JobSpec[] = [];

  /** Writes what was collected (nothing when empty), inside `tx`; a failure rolls the whole change back. */
  async flush(tx: RawExecutor): Promise<void> {
    if (!this.audit.length && !this.messages.length && !this.jobs.length) return;
    const record = JSON.stringify({ audit: this.audit, messages: this.messages, jobs: this.jobs.map(graphileJobSpec) }, jsonBigInt);
    this.audit.length = this.messages.length = this.jobs.length = 0;
    await tx.$executeRaw`SELECT h2o_record_change(${record}::json)`;
  }
}

/** BigInts (amounts in snapshots) as strings, as the audit trail has always stored them. */
const jsonBigInt = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
