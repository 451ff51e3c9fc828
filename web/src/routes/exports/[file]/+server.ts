import { TENANT_HEADER } from '$lib/auth/cookies';
import { apiUrl } from '$lib/auth/session.server';
import type { RequestHandler } from './$types';

/** The API's answer headers a download needs; nothing else of the API's response is passed on. */
const PASSED = ['content-type', 'content-disposition', 'cache-control', 'retry-after'];

/**
 * A list's CSV export (`/exports/<list>.csv?filter=…&orderBy=…`, see $lib/exports.ts), from the API's route of the
 * same path with the browser's session and acting tenant (`handleFetch` adds the API cookies), streamed through as
 * it comes: the browser downloads it from this origin like any file.
 */
export const GET: RequestHandler = async ({ params, url, fetch, locals }) => {
	const upstream = await fetch(new URL(`/exports/${encodeURIComponent(params.file)}${url.search}`, apiUrl()), {
		headers: locals.tenantChoice ? { [TENANT_HEADER]: locals.tenantChoice } : {}
	});
	const headers = new Headers();
	for (const name of PASSED) {
		const value = upstream.headers.get(name);
		if (value) headers.set(name, value);
	}
	return new Response(upstream.body, { status: upstream.status, headers });
};
