/** The kinds of entity the mutation pipeline changes (snake_case: they prefix event types, `job.created`). */
export type EntityType = "tenant_config" | "builder" | "job" | "bid" | "service_call" | "webhook_endpoint" | "webhook_message" | "user" | "membership" | "api_key" | "channel_account" | "marketing_post" | "worker_job";

/** What a mutation did to its entity. */
export type MutationAction = "created" | "updated" | "status_changed" | "archived" | "deleted";

/** Who made a change (auth/actor.ts `actorOf`): a user, an API key, or the system (CLI, worker). */
export interface EventActor {
  kind: "user" | "api_key" | "system";
  /** The user's or API key's id; null for the system. */
  id: string | null;
  /** Human-readable: the user's email, the key's name and prefix, the system job's name. */
  label: string | null;
  /** Whom the actor acted for, when that differs (reserved for impersonation and delegated keys). */
  onBehalfOf?: string | null;
}

/**
 * One domain event per committed change: what the pubsub publishes (and what the audit and outbox hooks record).
 * `id` is unique per change and is the idempotency key downstream.
 */
export interface DomainEvent<Row = unknown> {
  id: string;
  /** `<entityType>.<action>` unless the mutation names a more specific type. */
  type: string;
  tenantId: string;
  entityType: EntityType;
  entityId: string;
  action: MutationAction;
  occurredAt: Date;
  requestId: string;
  actor: EventActor | null;
  /** The entity before the change (null for a create). */
  before: Row | null;
  /** The entity after the change. */
  after: Row | null;
}
