import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { boardFilter, BOARD_PAGE_SIZE } from './board-filters';
import { JobsBoardQuery } from './documents';

/** The board's first page, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	await prefetch(client, fetch, JobsBoardQuery, { first: BOARD_PAGE_SIZE, after: null, filter: boardFilter(url.searchParams) });
	return {};
};
