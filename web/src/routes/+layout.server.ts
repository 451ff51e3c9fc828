import { TENANT_COOKIE, tenantHeaders } from '$lib/auth/cookies';
import { SessionQuery } from '$lib/auth/documents';
import { actingTenantId } from '$lib/auth/session';
import { clearSession, serverClient } from '$lib/auth/session.server';
import { toErrorMessage } from '$lib/graphql/errors';
import type { LayoutServerLoad } from './$types';

/**
 * Who is signed in and for which tenant, asked of the API once per navigation. Only what the page may know:
 * never the tokens themselves (they stay in httpOnly cookies).
 */
export const load: LayoutServerLoad = async ({ locals, fetch, cookies }) => {
	if (!locals.session) return { signedIn: false as const, viewer: null, tenant: null, tenantId: null, apiError: null };
	const ask = (tenantId: string | null) => serverClient(fetch, tenantHeaders(tenantId)).query(SessionQuery, {}).toPromise();

	let result = await ask(locals.tenantChoice);
	// A tenant the user no longer belongs to is refused: ask again without it.
	if (!result.data?.viewer && locals.tenantChoice && !result.error?.networkError) result = await ask(null);
	const viewer = result.data?.viewer ?? null;
	if (!viewer) {
		if (result.error?.networkError) {
			// The API is down: keep the session, the pages show the connection banner and their error states.
			return { signedIn: true as const, viewer: null, tenant: null, tenantId: locals.tenantChoice, apiError: toErrorMessage(result.error) };
		}
		clearSession(cookies);
		return { signedIn: false as const, viewer: null, tenant: null, tenantId: null, apiError: null };
	}
	const tenantId = actingTenantId(viewer, locals.tenantChoice ?? undefined);
	// Remember the tenant, so that the browser's requests (and the next page) name the same one.
	if (tenantId && tenantId !== locals.tenantChoice) cookies.set(TENANT_COOKIE, tenantId, { path: '/', httpOnly: false, sameSite: 'lax', secure: false, maxAge: 31_536_000 });
	if (tenantId && tenantId !== viewer.tenantId) result = await ask(tenantId);
	return {
		signedIn: true as const,
		viewer: result.data?.viewer ?? viewer,
		tenant: result.data?.tenant ?? null,
		tenantId,
		apiError: toErrorMessage(result.error)
	};
};
