import { ACCESS_COOKIE, REFRESH_COOKIE } from '$lib/auth/cookies';
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

// Signing out is a POST (a link cannot sign anyone out); a GET just goes home.
export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	// Phase 2: first call the API's `logout` mutation (with the session's cookie) so the refresh token is revoked.
	default: ({ cookies }) => {
		for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) cookies.delete(name, { path: '/' });
		redirect(303, '/login');
	}
};
