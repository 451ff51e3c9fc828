import type { Cache, CacheExchangeOpts, UpdateResolver } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { embeddedTypes } from './gql/embedded-types';

/**
 * The normalized cache's configuration. Types with an `id: ID!` (every Relay `Node`, and a few more) normalize by
 * themselves; the others (payloads, connections and edges, figures, actors) have no identity and are stored inside
 * their parent: `embeddedTypes`, derived from schema.graphql by `npm run codegen` (web/scripts/embedded-types-plugin.cjs).
 */
const embedded = () => null;

/**
 * Types with an `id: ID!` stored inside their parent all the same: the job view's rows are snapshots of a moving queue
 * (one id is a queued job, then a failed one, then a completion record), asked again after every action, never merged.
 */
const snapshots = ['WorkerJob'] as const;

/** Event types that change which items belong in a list (not just an item's fields). */
const changesMembership = (type: string) => /\.(created|archived|deleted|restored)$/.test(type);

/**
 * The overview's figures of each board entity (`jobFigures`, …): sums over every row of the tenant, so any change to
 * one of those rows, here or in another session, leaves them stale. `withFigures` adds dropping them to an update.
 */
const figuresOf = { job: 'jobFigures', bid: 'bidFigures', serviceCall: 'serviceCallFigures' } as const;
const withFigures =
	(entity: keyof typeof figuresOf, update?: UpdateResolver): UpdateResolver =>
	(result, args, cache, info) => {
		update?.(result, args, cache, info);
		invalidateList(cache, figuresOf[entity]);
	};

export const cacheConfig = {
	keys: Object.fromEntries([...embeddedTypes, ...snapshots].map((type) => [type, embedded])),
	resolvers: {
		// The boards' columns (jobs, bids) and the dispatch list grow with "More": their pages merge into one list.
		// Builders are a table paged through the URL (`after`), one page at a time: no merging.
		Query: { jobs: relayPagination(), bids: relayPagination(), serviceCalls: relayPagination() }
	},
	updates: {
		// Mutations that create or delete, and subscription events, change which items belong in a list:
		// invalidate the lists (refetched when on screen). Edits of an existing Node need nothing here:
		// the cache updates the Node in every list that holds it.
		Mutation: {
			createJob: withFigures('job', (result, _a, cache) => {
				invalidateList(cache, 'jobs');
				invalidateOwnerList(cache, result, 'createJob', 'job', 'jobs');
			}),
			createBid: withFigures('bid', (result, _a, cache) => {
				invalidateList(cache, 'bids');
				invalidateOwnerList(cache, result, 'createBid', 'bid', 'bids');
			}),
			createServiceCall: withFigures('serviceCall', (_r, _a, cache) => invalidateList(cache, 'serviceCalls')),
			createBuilder: (_r, _a, cache) => invalidateList(cache, 'builders'),
			// Edits that may move an item between filtered or ordered lists (a new date, builder or status).
			updateJob: withFigures('job', (_r, _a, cache) => invalidateList(cache, 'jobs')),
			// Edits that change only figures (a bid's amount, a call's window or priority).
			updateBid: withFigures('bid'),
			updateServiceCall: withFigures('serviceCall'),
			changeJobStatus: withFigures('job'),
			updateBuilder: (_r, _a, cache) => invalidateList(cache, 'builders'),
			// Archived items leave their lists (they stay readable by id).
			archiveJob: withFigures('job', (_r, _a, cache) => invalidateList(cache, 'jobs')),
			archiveBid: withFigures('bid', (_r, _a, cache) => invalidateList(cache, 'bids')),
			archiveServiceCall: withFigures('serviceCall', (_r, _a, cache) => invalidateList(cache, 'serviceCalls')),
			archiveBuilder: (_r, _a, cache) => invalidateList(cache, 'builders'),
			// A status change may move a call out of the filtered dispatch list (e.g. to COMPLETED).
			changeServiceCallStatus: withFigures('serviceCall', (_r, _a, cache) => invalidateList(cache, 'serviceCalls')),
			changeBidStatus: withFigures('bid', (_r, _a, cache) => invalidateList(cache, 'bids')),
			createApiKey: (_r, _a, cache) => invalidateList(cache, 'apiKeys'),
			inviteUser: (_r, _a, cache) => invalidateList(cache, 'members'),
			removeMember: (_r, _a, cache) => invalidateList(cache, 'members'),
			createWebhookEndpoint: (_r, _a, cache) => invalidateList(cache, 'webhookEndpoints'),
			deleteWebhookEndpoint: (_r, args, cache) => {
				invalidateList(cache, 'webhookEndpoints');
				const id = endpointIdOf(args);
				if (id) cache.invalidate({ __typename: 'WebhookEndpoint', id });
			},
			// New messages for an endpoint: its delivery log (every page) and its message count refetch.
			sendTestWebhook: (_r, args, cache) => invalidateDeliveries(cache, endpointIdOf(args)),
			resendWebhookMessage: (_r, args, cache) => invalidateDeliveries(cache, endpointIdOf(args)),
			replayWebhooks: (_r, args, cache) => invalidateDeliveries(cache, endpointIdOf(args)),
			completeChannelConnect: (_r, _a, cache) => invalidateList(cache, 'channelAccounts'),
			disconnectChannelAccount: (_r, _a, cache) => invalidateList(cache, 'channelAccounts'),
			createMarketingPost: (_r, _a, cache) => invalidateList(cache, 'marketingPosts')
		},
		Subscription: {
			jobChanged: withFigures('job', (result, _a, cache) => {
				if (changesMembership(eventType(result, 'jobChanged'))) invalidateList(cache, 'jobs');
			}),
			bidChanged: withFigures('bid', (_r, _a, cache) => invalidateList(cache, 'bids')),
			serviceCallChanged: withFigures('serviceCall', (_r, _a, cache) => invalidateList(cache, 'serviceCalls')),
			// posts and accounts update in place by id; a new one (another user's) joins its list
			marketingChanged: (result, _a, cache) => {
				const type = eventType(result, 'marketingChanged');
				if (type === 'marketing_post.created') invalidateList(cache, 'marketingPosts');
				if (type === 'channel_account.connected') invalidateList(cache, 'channelAccounts');
			}
		}
	}
} satisfies CacheExchangeOpts;

/** The `type` of a subscription event in an update's result (`job.status_changed`); `''` when absent. */
function eventType(result: Record<string, unknown>, field: string): string {
	const event = result[field] as { type?: unknown } | null | undefined;
	return typeof event?.type === 'string' ? event.type : '';
}

/** The endpoint a webhook mutation names: `input.id` (one endpoint) or `input.endpointId` (resend, replay). */
function endpointIdOf(args: Record<string, unknown>): string | undefined {
	const input = args.input as { id?: unknown; endpointId?: unknown } | undefined;
	const id = input?.endpointId ?? input?.id;
	return typeof id === 'string' ? id : undefined;
}

/** Drops an endpoint's cached `deliveries` pages; without an endpoint (a resend to all), the endpoints list. */
function invalidateDeliveries(cache: Cache, endpointId: string | undefined): void {
	if (!endpointId) return invalidateList(cache, 'webhookEndpoints');
	const entity = { __typename: 'WebhookEndpoint', id: endpointId };
	for (const field of cache.inspectFields(entity)) {
		if (field.fieldName === 'deliveries') cache.invalidate(entity, field.fieldKey);
	}
}

/**
 * Drops the cached pages of the created item's builder's list (`Builder.jobs`), so the builder's page shows
 * it. Needs the payload to select `<item> { builder { id } }`; without it there is nothing to drop.
 */
function invalidateOwnerList(cache: Cache, result: Record<string, unknown>, field: string, item: string, list: string): void {
	const payload = result[field] as Record<string, { builder?: { id?: string } } | undefined> | null | undefined;
	const builderId = payload?.[item]?.builder?.id;
	if (!builderId) return;
	const builder = { __typename: 'Builder', id: builderId };
	for (const f of cache.inspectFields(builder)) if (f.fieldName === list) cache.invalidate(builder, f.fieldKey);
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
