import { randomUUID } from "node:crypto";
import type { Context } from "../context.ts";
import type { TenantDb } from "../db/tenancy.ts";
import { unauthenticated } from "../errors.ts";
import type { DomainEvent, EntityType, MutationAction } from "./domain-event.ts";
import { pubsub, topicFor } from "./pubsub.ts";
import { tenantTransaction } from "../db/rls.ts";
import { SystemWrites } from "./system-writes.ts";
import { pipelineHooks } from "./hooks.ts";
import { actorOf } from "../auth/actor.ts";
import { invalidatePrincipalsFor } from "../auth/principal-invalidation.ts";

/** The client a change runs its operations on: the request's tenant-scoped Prisma client, inside the change's transaction. */
export type TenantTx = Omit<TenantDb, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/** What a mutation's change reports back to the pipeline. */
export interface ChangeOutcome<R, Row = unknown> {
  /** What the GraphQL mutation returns. */
  result: R;
  entityId: string;
  /** The entity before the change (null for a create) and after it, as stored. */
  before: Row | null;
  after: Row | null;
  /** Overrides the default event type `<entityType>.<action>`. */
  eventType?: string;
}

/**
 * Work that must commit or roll back together with every change: the audit row, the outbox messages and their
 * worker jobs. A hook runs inside the mutation's transaction, after the change, with the domain event that will be
 * published; throwing rolls the whole mutation back. Trusted system writes (rows the application role may not write
 * itself) are not made on `tx` but added to `writes`, which the pipeline writes after the last hook, in one statement.
 */
export interface TransactionalHook {
  /** Names the hook in logs and errors. */
  name: string;
  run(tx: TenantTx, event: DomainEvent, ctx: Context, writes: SystemWrites): void | Promise<void>;
}

export const TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * The one path of every change (ARCHITECTURE.md, "The path of a change"). Guarantees:
 * 1. ONE transaction for the request's tenant-scoped client, as the application role with `app.tenant_id` set
 *    (db/rls.ts's tenantTransaction: a pg transaction the client's operations are pinned to while it runs): the
 *    change runs under row-level security;
 * 2. `change(tx)` runs in it, then each TransactionalHook of the process's list (events/hooks.ts `pipelineHooks`,
 *    or `ctx.services.hooks`), in order, with the domain event; then the
 *    system writes the hooks collected (audit row, outbox messages, their jobs) in one statement,
 *    `h2o_record_change`, which appends them with its owner's rights while the transaction keeps the application
 *    role (row-level security still checks each row's tenant);
 * 3. any throw (the change, a hook, the commit) rolls everything back and reaches the caller unchanged, and no
 *    event is published;
 * 4. only after the commit, the event is published to the pubsub on `tenant:<tenantId>:<entityType>`. A publish
 *    failure is logged, never turned into a failed mutation (the change is committed; the outbox is what
 *    guarantees delivery to partners; subscribers catch up with `updatedAfter`). Then the principal caches drop
 *    the rights the change affects (auth/principal-invalidation.ts), on every replica.
 * Requires an acting tenant (UNAUTHENTICATED otherwise; fields declare that with authScopes first).
 */
export async function runMutation<R, Row = unknown>(
  ctx: Context,
  spec: { entityType: EntityType; action: MutationAction },
  change: (tx: TenantTx) => Promise<ChangeOutcome<R, Row>>,
): Promise<R> {
  const tenant = ctx.tenant;
  if (!tenant) throw unauthenticated("this change needs an acting tenant");
  const { result, event } = await tenantTransaction(
    ctx.db,
    tenant.id,
    async (tx: TenantTx) => {
      const outcome = await change(tx);
      const event: DomainEvent<Row> = {
        id: randomUUID(),
        type: outcome.eventType ?? `${spec.entityType}.${spec.action}`,
        tenantId: tenant.id,
        entityType: spec.entityType,
        entityId: outcome.entityId,
        action: spec.action,
        occurredAt: new Date(),
        requestId: ctx.requestId,
        actor: actorOf(ctx),
        before: outcome.before,
        after: outcome.after,
      };
      const writes = new SystemWrites();
      for (const hook of ctx.services?.hooks ?? pipelineHooks) await hook.run(tx, event, ctx, writes);
      await writes.flush(tx);
      return { result: outcome.result, event };
    },
    { timeout: TRANSACTION_TIMEOUT_MS },
  );
  try {
    pubsub.publish(topicFor(event.tenantId, event.entityType), event);
  } catch (err) {
    ctx.log.error({ err, eventId: event.id, type: event.type }, "publishing a committed event failed");
  }
  invalidatePrincipalsFor(event);
  return result;
}
