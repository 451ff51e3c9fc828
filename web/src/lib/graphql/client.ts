import { browser } from '$app/environment';
import { Client, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { retryExchange } from '@urql/exchange-retry';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export const DEFAULT_API_URL = 'http://127.0.0.1:4000/graphql';

export interface ClientOptions {
	/** The GraphQL endpoint over HTTP. */
	url: string;
	/** SvelteKit's `fetch` in a `load` function; the global `fetch` otherwise. */
	fetch?: typeof fetch;
	/** The graphql-ws endpoint; defaults to `url` with `http` replaced by `ws`. */
	wsUrl?: string;
}

/**
 * Creates an urql client. Create one per browser session and one per SSR request, never one
 * shared at module level on the server: the client's cache holds the signed-in user's data.
 *
 * Exchanges, in order: graphcache; retries of network errors only (never of GraphQL errors,
 * which the API answered on purpose); in the browser, subscriptions over graphql-ws, whose
 * socket opens on the first subscription; fetch, with cookies sent (`credentials: 'include'`).
 */
export function createClient({ url, fetch, wsUrl }: ClientOptions): Client {
	const exchanges: Exchange[] = [
		cacheExchange({ keys: { ServerInfo: () => null } }),
		retryExchange({
			initialDelayMs: 300,
			maxDelayMs: 5_000,
			maxNumberAttempts: 3,
			retryIf: (error) => Boolean(error.networkError)
		})
	];
	if (browser) exchanges.push(lazySubscriptionExchange(wsUrl ?? url.replace(/^http/, 'ws')));
	exchanges.push(fetchExchange);

	return new Client({ url, fetch, fetchOptions: { credentials: 'include' }, exchanges });
}

function lazySubscriptionExchange(url: string): Exchange {
	let ws: WsClient | undefined;
	return subscriptionExchange({
		forwardSubscription: (request) => ({
			subscribe(sink) {
				ws ??= createWsClient({ url, lazy: true });
				const unsubscribe = ws.subscribe({ ...request, query: request.query ?? '' }, sink);
				return { unsubscribe };
			}
		})
	});
}
