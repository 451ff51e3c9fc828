import { browser } from '$app/environment';
import {
	Client,
	fetchExchange,
	type AnyVariables,
	type TypedDocumentNode,
	mapExchange,
	subscriptionExchange,
	type Exchange
} from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { retryExchange } from '@urql/exchange-retry';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { cacheConfig } from './cache';
import type { NetworkStatus } from './network-status.svelte';

export const DEFAULT_API_URL = 'http://127.0.0.1:4000/graphql';

export interface ClientOptions {
	/** The GraphQL endpoint over HTTP. */
	url: string;
	/** SvelteKit's `fetch` in a `load` function (its `handleFetch` forwards the API cookies); the global `fetch` otherwise. */
	fetch?: typeof fetch;
	/** The graphql-ws endpoint; defaults to `url` with `http` replaced by `ws`. */
	wsUrl?: string;
	/** Headers sent with every HTTP operation, and as the socket's `connectionParams` (e.g. the tenant). */
	headers?: Record<string, string>;
	/**
	 * In the browser: told of every HTTP network failure/success and of the socket's connects and closes.
	 * When given, the socket opens at once and stays open (reconnecting forever), so a lost API shows
	 * even on a screen with no live subscription.
	 */
	network?: NetworkStatus;
	/** Closes the socket for good when aborted (the browser session's client is replaced, e.g. on sign-out). */
	signal?: AbortSignal;
	/** Called when the API answers UNAUTHENTICATED (the session expired or was revoked). */
	onUnauthenticated?: () => void;
}

/**
 * Creates an urql client. Create one per browser session and one per SSR request, never one
 * shared at module level on the server: the client's cache holds the signed-in user's data.
 *
 * Exchanges, in order: graphcache; retries of network errors only (never of GraphQL errors,
 * which the API answered on purpose); in the browser, subscriptions over graphql-ws; the network
 * status feed; fetch, with cookies sent (`credentials: 'include'`).
 */
export function createClient({ url, fetch, wsUrl, headers, network, signal, onUnauthenticated }: ClientOptions): Client {
	const exchanges: Exchange[] = [
		cacheExchange(cacheConfig),
		retryExchange({
			initialDelayMs: 300,
			maxDelayMs: 5_000,
			maxNumberAttempts: 3,
			retryIf: (error) => Boolean(error.networkError)
		})
	];
	if (browser) {
		const ws = createSocket(wsUrl ?? url.replace(/^http/, 'ws'), headers, network, signal);
		exchanges.push(socketSubscriptionExchange(ws));
	}
	if (network) exchanges.push(networkStatusExchange(network));
	if (onUnauthenticated) exchanges.push(unauthenticatedExchange(onUnauthenticated));
	exchanges.push(fetchExchange);

	return new Client({
		url,
		fetch,
		fetchOptions: { credentials: 'include', headers },
		exchanges
	});
}

/**
 * Runs `query` in a `load` function with that load's `fetch`, so that its answer is in the client's cache
 * before the page renders: the page's own `queryStore` (same query, same variables) then reads it at once.
 * On the server this renders the list into the HTML, and SvelteKit inlines the response in the page; when
 * the browser hydrates, its `load` sends the same request through its `fetch`, which SvelteKit answers from
 * that inlined copy. One request to the API per page view, no loading flash. Failures are not thrown: the
 * page's query shows them (and asks again).
 */
export async function prefetch<Data, Variables extends AnyVariables>(
	client: Client,
	fetch: typeof globalThis.fetch,
	query: TypedDocumentNode<Data, Variables>,
	variables: Variables
): Promise<void> {
	await client.query(query, variables, { fetch }).toPromise();
}

/** Reports each HTTP operation's outcome: a network error, or any answer from the API. */
export function networkStatusExchange(network: NetworkStatus): Exchange {
	return mapExchange({
		onResult(result) {
			if (result.operation.kind === 'teardown') return;
			if (result.error?.networkError) network.fetchFailed();
			else network.fetchSucceeded();
		}
	});
}

/** Calls `onUnauthenticated` for every result the API refused with UNAUTHENTICATED. */
export function unauthenticatedExchange(onUnauthenticated: () => void): Exchange {
	return mapExchange({
		onError(error) {
			if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated();
		}
	});
}

/** Delay before reconnect attempt `n` (0-based): 0.5 s doubling to 3 s, with jitter so clients spread out. */
const reconnectDelay = (n: number) => Math.min(3_000, 500 * 2 ** n) * (0.75 + Math.random() * 0.5);

/**
 * The graphql-ws client. Without `network` it is lazy (the socket opens on the first subscription);
 * with it, the socket opens now and reconnects forever, feeding `network` on every connect and close.
 */
function createSocket(
	url: string,
	headers?: Record<string, string>,
	network?: NetworkStatus,
	signal?: AbortSignal
): () => WsClient {
	let ws: WsClient | undefined;
	signal?.addEventListener('abort', () => void Promise.resolve(ws?.dispose()).catch(() => undefined), { once: true });
	const open = () =>
		createWsClient({
			url,
			lazy: !network,
			connectionParams: headers,
			keepAlive: 15_000,
			retryAttempts: network ? Infinity : 5,
			retryWait: (n) => new Promise((resolve) => setTimeout(resolve, reconnectDelay(n))),
			shouldRetry: () => true,
			onNonLazyError: () => undefined,
			on: network ? { connected: network.connected, closed: network.closed } : undefined
		});
	if (network) ws = open();
	return () => (ws ??= open());
}

function socketSubscriptionExchange(ws: () => WsClient): Exchange {
	return subscriptionExchange({
		forwardSubscription: (request) => ({
			subscribe(sink) {
				const unsubscribe = ws().subscribe({ ...request, query: request.query ?? '' }, sink);
				return { unsubscribe };
			}
		})
	});
}
