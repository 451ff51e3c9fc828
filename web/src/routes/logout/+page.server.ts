import { signOut } from '$lib/auth/session.server';
import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

// Signing out is a POST (a link cannot sign anyone out); a GET just goes home.
export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	// The API revokes the session's refresh tokens; then the cookies go.
	default: async ({ cookies, locals, getClientAddress }) => {
		await signOut(locals.session?.apiCookie, cookies, getClientAddress());
		redirect(303, '/login');
	}
};
