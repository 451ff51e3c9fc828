import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { BidsPipelineQuery } from './documents';
import { pipelineVariables } from './pipeline';

/** The pipeline's page, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	await prefetch(client, fetch, BidsPipelineQuery, pipelineVariables(url.searchParams));
	return {};
};
