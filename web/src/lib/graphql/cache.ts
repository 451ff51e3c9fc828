import type { Cache, CacheExchangeOpts } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';

/**
 * The normalized cache's configuration. Types with an `id` (every Relay `Node`) normalize by themselves;
 * the ones below have no identity and are stored inside their parent.
 */
const connectionTypes = ['Job', 'Bid', 'ServiceCall', 'Builder', 'AuditEvent', 'WebhookEndpoint'] as const;
/** Connections of a field (`Builder.jobs`): their edges are `<Connection>Edge`. */
const fieldConnections = ['BuilderJobsConnection', 'BuilderBidsConnection', 'QueryApiKeysConnection', 'QueryMembersConnection'] as const;
const embeddedTypes = [
	'ServerInfo',
	'PageInfo',
	'TenantCapabilities',
	'TenantConfig',
	'ViewerMembership',
	'AuditActor',
	'EventActor',
	'BidLineItem',
	'JobChange',
	'BidChange',
	'ServiceCallChange',
	'BuilderChange',
	'TenantEvent',
	'Session',
	'MemberPayload',
	'CreateApiKeyPayload',
	'CreateServiceCallPayload',
	'CreateJobPayload',
	'CreateBidPayload',
	'ChangeJobStatusPayload',
	'ChangeBidStatusPayload',
	'ChangeServiceCallStatusPayload',
	'UpdateServiceCallPayload',
	'UpdateJobPayload',
	'UpdateTenantConfigPayload'
] as const;

const embedded = () => null;

/** Event types that change which items belong in a list (not just an item's fields). */
const changesMembership = (type: string) => /\.(created|archived|deleted|restored)$/.test(type);

export const cacheConfig = {
	keys: {
		...Object.fromEntries(embeddedTypes.map((type) => [type, embedded])),
		...Object.fromEntries(
			[
				...connectionTypes.flatMap((type) => [`${type}Connection`, `${type}Edge`]),
				...fieldConnections.flatMap((type) => [type, `${type}Edge`])
			].map((type) => [type, embedded])
		)
	},
	resolvers: {
		// The jobs board and the dispatch list grow with "Show more": their pages merge into one list.
		// Bids and builders are tables paged through the URL (`after`), one page at a time: no merging.
		Query: { jobs: relayPagination(), serviceCalls: relayPagination() }
	},
	updates: {
		// Mutations that create or delete, and subscription events, change which items belong in a list:
		// invalidate the lists (refetched when on screen). Edits of an existing Node need nothing here:
		// the cache updates the Node in every list that holds it.
		Mutation: {
			createJob: (_r, _a, cache) => invalidateList(cache, 'jobs'),
			createBid: (_r, _a, cache) => invalidateList(cache, 'bids'),
			createServiceCall: (_r, _a, cache) => invalidateList(cache, 'serviceCalls'),
			// A status change may move a call out of the filtered dispatch list (e.g. to COMPLETED).
			changeServiceCallStatus: (_r, _a, cache) => invalidateList(cache, 'serviceCalls'),
			changeBidStatus: (_r, _a, cache) => invalidateList(cache, 'bids'),
			createApiKey: (_r, _a, cache) => invalidateList(cache, 'apiKeys'),
			inviteUser: (_r, _a, cache) => invalidateList(cache, 'members'),
			removeMember: (_r, _a, cache) => invalidateList(cache, 'members')
		},
		Subscription: {
			jobChanged: (result, _a, cache) => {
				if (changesMembership(eventType(result, 'jobChanged'))) invalidateList(cache, 'jobs');
			},
			bidChanged: (_r, _a, cache) => invalidateList(cache, 'bids'),
			serviceCallChanged: (_r, _a, cache) => invalidateList(cache, 'serviceCalls')
		}
	}
} satisfies CacheExchangeOpts;

/** The `type` of a subscription event in an update's result (`job.status_changed`); `''` when absent. */
function eventType(result: Record<string, unknown>, field: string): string {
	const event = result[field] as { type?: unknown } | null | undefined;
	return typeof event?.type === 'string' ? event.type : '';
}

/**
 * Drops every cached page of a root list field (all argument combinations: filters, cursors), so each
 * list on screen refetches. Use in `updates` when an item was created, deleted, or may have moved
 * between filtered lists (a status change seen through a subscription).
 */
export function invalidateList(cache: Cache, fieldName: string): void {
	for (const field of cache.inspectFields('Query')) {
		if (field.fieldName === fieldName) cache.invalidate('Query', field.fieldKey);
	}
}
