import type { Cookies } from '@sveltejs/kit';
import type { ErrorMessage } from '$lib/graphql/errors';
import type { Credentials } from './credentials';

export type SignInResult = { ok: true } | { ok: false; status: number; error: ErrorMessage };

/**
 * Signs in through the API's `login` mutation and keeps its cookies (ACCESS_COOKIE, REFRESH_COOKIE) for
 * the browser. Phase 2, once `login` is in schema.graphql: run the typed `LoginMutation` with a per-request
 * client on `fetch`, map a GraphQL error with `toErrorMessage` (its `fieldErrors` land next to the fields),
 * and copy the API's `Set-Cookie` headers onto `cookies` (httpOnly, SameSite=Lax, Secure in production).
 */
export async function signIn(
	_credentials: Credentials,
	_context: { fetch: typeof fetch; cookies: Cookies }
): Promise<SignInResult> {
	return {
		ok: false,
		status: 503,
		error: {
			code: 'UNAVAILABLE',
			message: 'Sign-in is not available yet: the API does not offer it.',
			fieldErrors: {}
		}
	};
}
