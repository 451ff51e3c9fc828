/** The lists the API exports as CSV (`GET /exports/<list>.csv` on the API, proxied by this server at the same path). */
export type ExportList = 'jobs' | 'bids' | 'service-calls' | 'builders' | 'audit-events';

/**
 * The dashboard's address of a list's CSV export with the list's own `filter` and `orderBy` (the GraphQL arguments
 * of its query, sent as JSON): the export has the rows the list would show, across all its pages.
 */
export function exportHref(list: ExportList, args: { filter?: object | null; orderBy?: object | null } = {}): string {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(args)) {
		const json = value == null ? undefined : JSON.stringify(value);
		if (json && json !== '{}') params.set(name, json);
	}
	const query = params.toString();
	return `/exports/${list}.csv${query ? `?${query}` : ''}`;
}
