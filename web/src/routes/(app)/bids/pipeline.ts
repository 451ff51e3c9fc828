import type { BidsPipelineQueryVariables } from '$lib/graphql/gql/graphql';
import { readFilters } from '$lib/graphql/url-filters';

/** The pipeline's filters as they appear in the URL (`?q=…&after=…`). */
export const PIPELINE_FILTERS = { q: 'one', after: 'one' } as const;
/** Bids per page of the pipeline. */
export const PIPELINE_PAGE_SIZE = 100;

/**
 * The pipeline query's variables for a URL. The server's first render and the browser both build them
 * here, so both send the same request (and the browser reuses the server's answer).
 */
export function pipelineVariables(params: URLSearchParams): BidsPipelineQueryVariables {
	const f = readFilters(params, PIPELINE_FILTERS);
	return { first: PIPELINE_PAGE_SIZE, after: f.after ?? null, filter: { search: f.q } };
}
