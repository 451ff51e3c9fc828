import { perColumn } from '$lib/board';
import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { BidsPipelineCountsQuery, BidsPipelineQuery } from './documents';
import { BID_COLUMNS, COLUMN_PAGE_SIZE, pipelineFilter } from './pipeline';

/** Each column's first page and the columns' counts, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	const filter = pipelineFilter(url.searchParams);
	await Promise.all([
		prefetch(client, fetch, BidsPipelineCountsQuery, perColumn(BID_COLUMNS, filter) as never),
		...BID_COLUMNS.map((status) => prefetch(client, fetch, BidsPipelineQuery, { first: COLUMN_PAGE_SIZE, after: null, filter: { ...filter, status: [status] } }))
	]);
	return {};
};
