/** The kinds of entity the mutation pipeline changes (snake_case: they prefix event types, `job.created`). */
export type EntityType = "tenant_config" | "builder" | "job" | "bid" | "service_call";

/** What a mutation did to its entity. */
export type MutationAction = "created" | "updated" | "status_changed" | "archived";

/** Who made a change. Filled by the identity layer; null until then. */
export interface EventActor {
  kind: "user" | "api_key" | "system";
  id: string;
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
