import type { BuildersQueryVariables } from '$lib/graphql/gql/graphql';
import { readFilters } from '$lib/graphql/url-filters';

/** The directory's filters as they appear in the URL (`?q=…&status=active|inactive&after=…`). */
export const DIRECTORY_FILTERS = { q: 'one', status: 'one', after: 'one' } as const;
/** Builders per page of the directory. */
export const DIRECTORY_PAGE_SIZE = 25;

/**
 * The directory query's variables for a URL. The server's first render and the browser both build them
 * here, so both send the same request (and the browser reuses the server's answer).
 */
export function directoryVariables(params: URLSearchParams): BuildersQueryVariables {
	const f = readFilters(params, DIRECTORY_FILTERS);
	const active = f.status === 'active' ? true : f.status === 'inactive' ? false : undefined;
	return { first: DIRECTORY_PAGE_SIZE, after: f.after ?? null, filter: { search: f.q, active } };
}
