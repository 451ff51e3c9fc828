import { browser } from '$app/environment';
import { env } from '$env/dynamic/public';
import { DEV_TENANT_HEADER } from '$lib/auth/cookies';
import { createClient, DEFAULT_API_URL } from '$lib/graphql/client';
import { NetworkStatus } from '$lib/graphql/network-status.svelte';
import type { Client } from '@urql/core';
import type { LayoutLoad } from './$types';

interface BrowserSession {
	key: string;
	client: Client;
	network: NetworkStatus;
	close: AbortController;
}

/** The browser's one client, replaced only when who acts changes (sign-in, sign-out, tenant switch). */
let browserSession: BrowserSession | undefined;
const network = browser ? new NetworkStatus() : undefined;

/**
 * The urql client and the network status for the pages. In the browser, one per session; on the server,
 * a new one per request, using this request's `fetch` (which forwards the API cookies, see hooks.server.ts).
 */
export const load: LayoutLoad = ({ data, fetch }) => {
	const url = env.PUBLIC_API_URL || DEFAULT_API_URL;
	const headers: Record<string, string> = data.devTenant ? { [DEV_TENANT_HEADER]: data.devTenant } : {};
	if (!browser || !network) {
		return { ...data, client: createClient({ url, fetch, headers }), network: new NetworkStatus() };
	}
	const key = JSON.stringify([data.signedIn, data.devTenant]);
	if (browserSession?.key !== key) {
		browserSession?.close.abort();
		const close = new AbortController();
		const client = createClient({ url, headers, network, signal: close.signal });
		browserSession = { key, client, network, close };
	}
	return { ...data, client: browserSession.client, network: browserSession.network };
};
