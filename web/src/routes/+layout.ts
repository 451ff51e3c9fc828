import { browser } from '$app/environment';
import { invalidateAll } from '$app/navigation';
import { env } from '$env/dynamic/public';
import { tenantHeaders } from '$lib/auth/cookies';
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
/** Bumped when the API refuses the session: the server renews it (hooks.server.ts) and a new client asks again. */
let authEpoch = 0;
let lastRenewal = 0;
function renewSession() {
	if (Date.now() - lastRenewal < 10_000) return;
	lastRenewal = Date.now();
	authEpoch++;
	void invalidateAll();
}
let lastViewerId: string | null = null;

/**
 * The urql client and the network status for the pages. In the browser, one per session; on the server,
 * a new one per request, using this request's `fetch` (which forwards the API cookies, see hooks.server.ts).
 * Every request names the acting tenant (`X-Tenant-Id`, and the socket's connectionParams).
 */
export const load: LayoutLoad = ({ data, fetch }) => {
	const url = env.PUBLIC_API_URL || DEFAULT_API_URL;
	const headers = tenantHeaders(data.tenantId);
	if (!browser || !network) {
		return { ...data, client: createClient({ url, fetch, headers }), network: new NetworkStatus() };
	}
	// While the API is down the viewer is unknown: keep the client (its socket reconnects by itself).
	if (data.signedIn && !data.viewer && browserSession) {
		return { ...data, tenantId: data.tenantId, client: browserSession.client, network: browserSession.network };
	}
	if (data.viewer) lastViewerId = data.viewer.id;
	const key = JSON.stringify([data.signedIn, lastViewerId, data.tenantId, authEpoch]);
	if (browserSession?.key !== key) {
		browserSession?.close.abort();
		const close = new AbortController();
		const client = createClient({ url, headers, network, signal: close.signal, onUnauthenticated: renewSession });
		browserSession = { key, client, network, close };
	}
	return { ...data, client: browserSession.client, network: browserSession.network };
};
