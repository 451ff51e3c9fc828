import type { JobFilter, JobStatus } from '$lib/graphql/gql/graphql';
import { readFilters } from '$lib/graphql/url-filters';
import { JOB_COLUMNS } from './phases';

/** The board's filters as they appear in the URL (`?builder=…&community=…&from=…&to=…&status=…`). */
export const BOARD_FILTERS = { builder: 'one', community: 'one', from: 'one', to: 'one', status: 'many' } as const;
/** The board's order (its query's `orderBy`), for its CSV export. */
export const JOBS_BOARD_ORDER = { field: 'SCHEDULED_DATE', direction: 'ASC' } as const;
/** Jobs per page of a board column (its "More" adds the next). */
export const COLUMN_PAGE_SIZE = 20;

/**
 * The API filter for the board's URL. The server's first render and the browser build the board query's
 * variables here, so both send the same request (and the browser reuses the server's answer).
 */
export function boardFilter(params: URLSearchParams): JobFilter {
	const f = readFilters(params, BOARD_FILTERS);
	return {
		builderId: f.builder,
		search: f.community,
		scheduled: f.from || f.to ? { from: f.from, to: f.to } : undefined,
		// the phases shown (each column narrows to its own): what the board's CSV export holds too
		status: nonEmpty(JOB_COLUMNS.filter((s) => f.status.includes(s)))
	};
}

/** The board's columns for a URL: the phases named by `status` (the overview links to one), every phase otherwise. */
export function boardColumns(params: URLSearchParams): readonly JobStatus[] {
	const wanted = readFilters(params, BOARD_FILTERS).status;
	const chosen = JOB_COLUMNS.filter((s) => wanted.includes(s));
	return chosen.length ? chosen : JOB_COLUMNS;
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length ? list : undefined);
