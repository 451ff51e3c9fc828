import { dev } from '$app/environment';
import { env } from '$env/dynamic/public';
import { env as privateEnv } from '$env/dynamic/private';
import { DEFAULT_API_URL, persistedDocumentsExchange } from '$lib/graphql/client';
import { LoginMutation, LogoutMutation, RefreshSessionMutation } from '$lib/auth/documents';
import { toErrorMessage, type ErrorMessage } from '$lib/graphql/errors';
import type { LoginMutation as LoginResult } from '$lib/graphql/gql/graphql';
import { Client, fetchExchange } from '@urql/core';
import type { Cookies } from '@sveltejs/kit';
import { ACCESS_COOKIE, REFRESH_COOKIE, TENANT_COOKIE } from './cookies';
import type { Credentials } from './credentials';

/** The API as the browser reaches it (and, unless API_INTERNAL_URL says otherwise, as this server does). */
export const apiUrl = () => env.PUBLIC_API_URL || DEFAULT_API_URL;

/**
 * The API as this server reaches it. Where the public address does not work from here (in docker-compose the
 * browser's `localhost:4000` is this container itself), API_INTERNAL_URL names the way in (e.g. the load balancer).
 */
export const serverApiUrl = () => privateEnv.API_INTERNAL_URL || apiUrl();

/**
 * A server-side request to the public API address, sent to `serverApiUrl` instead (same path and query); any other
 * request unchanged.
 */
export function toServerApi(request: Request): Request {
	const publicOrigin = new URL(apiUrl()).origin;
	const url = new URL(request.url);
	if (url.origin !== publicOrigin) return request;
	const internal = new URL(serverApiUrl());
	if (internal.origin === publicOrigin) return request;
	return new Request(new URL(url.pathname + url.search, internal.origin), request);
}

/**
 * A client for one server-side call to the API (no cache: it holds one request's answer). `fetch` is the
 * request's own (its `handleFetch` adds the API cookies) or the global one.
 */
export function serverClient(fetch: typeof globalThis.fetch, headers: Record<string, string> = {}): Client {
	return new Client({ url: serverApiUrl(), fetch, exchanges: [persistedDocumentsExchange(), fetchExchange], fetchOptions: { headers }, requestPolicy: 'network-only' });
}

/**
 * The header that tells the API whose request this is when the dashboard's server calls it for a browser: without it
 * the API would see this server's address for every user (the audit trail, the per-IP rate limit and the sign-in
 * lockout). The API believes it from trusted proxies only (its TRUST_PROXY).
 */
export const forwardedFor = (clientAddress: string) => ({ 'x-forwarded-for': clientAddress });

type IssuedSession = LoginResult['login'];

/**
 * Stores the API's tokens as this origin's httpOnly cookies, with the names and lifetimes the API gives
 * them. Web and API share a host (cookies ignore ports), so the browser sends them to the API as well.
 */
export function storeSession(cookies: Cookies, session: IssuedSession, secure: boolean): void {
	const common = { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
	const until = (at: string) => new Date(at);
	cookies.set(ACCESS_COOKIE, session.accessToken, { ...common, expires: until(session.accessTokenExpiresAt) });
	cookies.set(REFRESH_COOKIE, session.refreshToken, { ...common, expires: until(session.refreshTokenExpiresAt) });
}

export function clearSession(cookies: Cookies): void {
	for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) cookies.delete(name, { path: '/' });
}

export type SignInResult = { ok: true } | { ok: false; status: number; error: ErrorMessage };

/** Signs in through the API's `login` mutation and keeps its tokens as cookies for the browser. */
export async function signIn(
	credentials: Credentials,
	{ fetch, cookies, url, clientAddress }: { fetch: typeof globalThis.fetch; cookies: Cookies; url: URL; clientAddress: string }
): Promise<SignInResult> {
	const result = await serverClient(fetch, forwardedFor(clientAddress)).mutation(LoginMutation, credentials).toPromise();
	if (!result.data) {
		const error = toErrorMessage(result.error)!;
		const status = error.code === 'NETWORK_ERROR' ? 503 : error.code === 'RATE_LIMITED' ? 429 : 400;
		if (error.code === 'UNAUTHENTICATED') error.message = 'The email or password is not right.';
		return { ok: false, status, error };
	}
	storeSession(cookies, result.data.login, isSecure(url));
	// A new user: the previous one's tenant choice does not apply.
	cookies.delete(TENANT_COOKIE, { path: '/', httpOnly: false });
	return { ok: true };
}

/** Trades the refresh cookie for new tokens; `false` when the session cannot be renewed. */
export async function refreshSession(refreshToken: string, cookies: Cookies, url: URL, clientAddress: string): Promise<boolean> {
	const result = await serverClient(globalThis.fetch, forwardedFor(clientAddress)).mutation(RefreshSessionMutation, { refreshToken }).toPromise();
	if (!result.data) {
		if (!result.error?.networkError) clearSession(cookies);
		return false;
	}
	storeSession(cookies, result.data.refreshSession, isSecure(url));
	return true;
}

/** Ends the session at the API (its refresh tokens are revoked), then forgets the cookies. */
export async function signOut(apiCookie: string | undefined, cookies: Cookies, clientAddress: string): Promise<void> {
	if (apiCookie) {
		await serverClient(globalThis.fetch, { cookie: apiCookie, ...forwardedFor(clientAddress) }).mutation(LogoutMutation, {}).toPromise().catch(() => undefined);
	}
	clearSession(cookies);
}

const isSecure = (url: URL) => url.protocol === 'https:' && !dev;
