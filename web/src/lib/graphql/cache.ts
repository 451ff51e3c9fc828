import type { Cache, CacheExchangeOpts } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';

/**
 * The normalized cache's configuration. Types with an `id` (every Relay `Node`) normalize by themselves;
 * the ones below have no identity and are stored inside their parent.
 */
const connectionTypes = ['Job', 'Bid', 'ServiceCall', 'Builder'] as const;

const embedded = () => null;

export const cacheConfig = {
	keys: {
		ServerInfo: embedded,
		PageInfo: embedded,
		TenantCapabilities: embedded,
		...Object.fromEntries(
			connectionTypes.flatMap((type) => [
				[`${type}Connection`, embedded],
				[`${type}Edge`, embedded]
			])
		)
	},
	resolvers: {
		// The jobs board's columns and the dispatch list grow with "Show more": their pages merge into one list.
		// Bids and builders are tables paged through the URL (`after`), one page at a time: no merging.
		Query: { jobs: relayPagination(), serviceCalls: relayPagination() }
	},
	updates: {
		// Mutations that create or delete, and subscription events, change which items belong in a list:
		// invalidate the lists (refetched when on screen). Edits of an existing Node need nothing here:
		// the cache updates the Node in every list that holds it.
		Mutation: {},
		Subscription: {}
	}
} satisfies CacheExchangeOpts;

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
