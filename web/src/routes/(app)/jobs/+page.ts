import { perColumn } from '$lib/board';
import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { boardFilter, COLUMN_PAGE_SIZE } from './board-filters';
import { JobsBoardCountsQuery, JobsBoardQuery } from './documents';
import { JOB_COLUMNS } from './phases';

/** Each column's first page and the columns' counts, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	const filter = boardFilter(url.searchParams);
	await Promise.all([
		prefetch(client, fetch, JobsBoardCountsQuery, perColumn(JOB_COLUMNS, filter) as never),
		...JOB_COLUMNS.map((status) => prefetch(client, fetch, JobsBoardQuery, { first: COLUMN_PAGE_SIZE, after: null, filter: { ...filter, status: [status] } }))
	]);
	return {};
};
