import { createPubSub, type PubSub, type PubSubEventTarget } from "graphql-yoga";
import type { DomainEvent, EntityType } from "./domain-event.ts";

/** Topics are namespaced by tenant: a subscriber can only ever listen to its own tenant's events. */
export type DomainTopic = `tenant:${string}:${EntityType}`;
export type DomainTopics = { [topic: DomainTopic]: [DomainEvent] };
export type DomainPubSub = PubSub<DomainTopics>;

export const topicFor = (tenantId: string, entityType: EntityType): DomainTopic => `tenant:${tenantId}:${entityType}`;

/**
 * An in-process pubsub by default; pass an event target (e.g. graphql-yoga's Redis event target) to fan out across
 * API replicas. Delivery is at-most-once to live subscribers; catching up is the queries' `updatedAfter` filter.
 */
export function createDomainPubSub(eventTarget?: PubSubEventTarget<DomainTopics>): DomainPubSub {
  return createPubSub<DomainTopics>(eventTarget ? { eventTarget } : undefined);
}

/** The process's pubsub, fed by the mutation pipeline after commit. Replace once at start-up with `usePubSub`. */
export let pubsub: DomainPubSub = createDomainPubSub();

export function usePubSub(next: DomainPubSub): void {
  pubsub = next;
}
