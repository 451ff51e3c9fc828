import { env } from '$env/dynamic/public';
import { apiCookieHeader, DEV_TENANT_COOKIE, REFRESH_COOKIE } from '$lib/auth/cookies';
import { DEFAULT_API_URL } from '$lib/graphql/client';
import type { Handle, HandleFetch } from '@sveltejs/kit';

const apiOrigin = () => new URL(env.PUBLIC_API_URL || DEFAULT_API_URL).origin;

/** The session, from the API's cookies, once per request; routes read `event.locals`. */
export const handle: Handle = async ({ event, resolve }) => {
	const apiCookie = apiCookieHeader((name) => event.cookies.get(name));
	event.locals.session = apiCookie
		? { apiCookie, canRefresh: Boolean(event.cookies.get(REFRESH_COOKIE)) }
		: null;
	event.locals.devTenant = event.cookies.get(DEV_TENANT_COOKIE) || env.PUBLIC_DEV_TENANT || null;
	return resolve(event);
};

/**
 * Server-side requests to the API (the per-request urql client uses `event.fetch`) carry the browser's API
 * cookies: SvelteKit forwards cookies only to its own origin, and the API is another one.
 */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
	if (event.locals.session && new URL(request.url).origin === apiOrigin()) {
		request.headers.set('cookie', event.locals.session.apiCookie);
	}
	return fetch(request);
};
