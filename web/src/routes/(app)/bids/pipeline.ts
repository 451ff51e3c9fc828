import type { BidFilter, BidStatus } from '$lib/graphql/gql/graphql';
import { readFilters } from '$lib/graphql/url-filters';

/** The pipeline's columns, in its order. */
export const BID_COLUMNS: readonly BidStatus[] = ['DRAFT', 'SUBMITTED', 'WON', 'LOST', 'EXPIRED'];
/** The pipeline's filters as they appear in the URL (`?q=…&status=…`). */
export const PIPELINE_FILTERS = { q: 'one', status: 'many' } as const;
/** Bids per page of a pipeline column (its "More" adds the next). */
export const COLUMN_PAGE_SIZE = 20;
/** The pipeline's order (its query's `orderBy`), for its CSV export. */
export const PIPELINE_ORDER = { field: 'DUE_DATE', direction: 'ASC' } as const;

/**
 * The pipeline's filter for a URL (each column adds its status). The server's first render and the browser both
 * build it here, so both send the same requests (and the browser reuses the server's answers).
 */
export function pipelineFilter(params: URLSearchParams): BidFilter {
	const f = readFilters(params, PIPELINE_FILTERS);
	// the statuses shown (each column narrows to its own): what the pipeline's CSV export holds too
	return { search: f.q, status: BID_COLUMNS.some((s) => f.status.includes(s)) ? BID_COLUMNS.filter((s) => f.status.includes(s)) : undefined };
}

/** The pipeline's columns for a URL: the statuses named by `status` (the overview links to one), all otherwise. */
export function pipelineColumns(params: URLSearchParams): readonly BidStatus[] {
	const wanted = readFilters(params, PIPELINE_FILTERS).status;
	const chosen = BID_COLUMNS.filter((s) => wanted.includes(s));
	return chosen.length ? chosen : BID_COLUMNS;
}
