import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { DISPATCH_PAGE_SIZE, dispatchFilter } from './dispatch';
import { DispatchQuery } from './documents';

/** The dispatch list's first page, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	await prefetch(client, fetch, DispatchQuery, { first: DISPATCH_PAGE_SIZE, after: null, filter: dispatchFilter(url.searchParams) });
	return {};
};
