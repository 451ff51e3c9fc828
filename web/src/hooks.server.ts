import { apiCookieHeader, ACCESS_COOKIE, REFRESH_COOKIE, TENANT_COOKIE } from '$lib/auth/cookies';
import { apiUrl, forwardedFor, refreshSession, toServerApi } from '$lib/auth/session.server';
import { withSecurityHeaders } from '$lib/security-headers';
import { env as privateEnv } from '$env/dynamic/private';
import type { Handle, HandleFetch } from '@sveltejs/kit';

/**
 * The session, from the API's cookies, once per request; routes read `event.locals`. An access token that
 * has expired (its cookie is gone) is renewed here with the refresh cookie, once, before the page loads.
 * Every response leaves with the security headers ($lib/security-headers).
 */
export const handle: Handle = async ({ event, resolve }) => {
	const { cookies } = event;
	const refresh = cookies.get(REFRESH_COOKIE);
	if (!cookies.get(ACCESS_COOKIE) && refresh && !event.url.pathname.startsWith('/logout')) {
		await refreshSession(refresh, cookies, event.url, event.getClientAddress());
	}
	const apiCookie = apiCookieHeader((name) => cookies.get(name));
	event.locals.session = apiCookie && cookies.get(ACCESS_COOKIE) ? { apiCookie, canRefresh: Boolean(cookies.get(REFRESH_COOKIE)) } : null;
	event.locals.tenantChoice = cookies.get(TENANT_COOKIE) || null;
	const response = await resolve(event, { filterSerializedResponseHeaders: keepContentType });
	return withSecurityHeaders(response, { apiUrl: apiUrl(), production: privateEnv.NODE_ENV === 'production' });
};

/**
 * API responses fetched during the server render are inlined into the page for the browser's first load
 * (see `prefetch` in $lib/graphql/client.ts); their content type goes along, so urql reads them as JSON.
 */
const keepContentType = (name: string) => name === 'content-type';

/**
 * Server-side requests to the API (the per-request urql client uses `event.fetch`) carry the browser's API
 * cookies, since SvelteKit forwards cookies only to its own origin and the API is another one, and the browser's
 * address (see `forwardedFor`); they go to the API's internal address when it has one (`toServerApi`).
 */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
	if (new URL(request.url).origin !== new URL(apiUrl()).origin) return fetch(request);
	const toApi = toServerApi(request);
	if (event.locals.session) toApi.headers.set('cookie', event.locals.session.apiCookie);
	for (const [name, value] of Object.entries(forwardedFor(event.getClientAddress()))) toApi.headers.set(name, value);
	return fetch(toApi);
};
