import { safeRedirect, validateCredentials } from '$lib/auth/credentials';
import { signIn } from '$lib/auth/session.server';
import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.session) redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
};

export const actions: Actions = {
	default: async ({ request, cookies, url, getClientAddress }) => {
		const form = await request.formData();
		const email = String(form.get('email') ?? '').trim();
		const password = String(form.get('password') ?? '');
		const fieldErrors = validateCredentials({ email, password });
		if (Object.keys(fieldErrors).length) {
			return fail(400, { email, fieldErrors, message: 'Check the fields marked below.' });
		}
		// The global fetch: this request has no session yet, and the API must not see a stale one.
		const result = await signIn({ email, password }, { fetch: globalThis.fetch, cookies, url, clientAddress: getClientAddress() });
		if (!result.ok) {
			const { message, fieldErrors } = result.error;
			return fail(result.status, { email, fieldErrors, message });
		}
		redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
	}
};
