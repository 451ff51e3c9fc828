/**
 * A board column's cards: the items of its own pages still in `status`, in the API's order, with the items other
 * columns loaded that have moved into it (a move on this page, or another user's seen live) placed by `compare`
 * (the board's sort key), each once. A card thus changes column at once; the column's own query finds it on its
 * next read.
 */
export function columnItems<S extends string, T extends { id: string; status: S; archivedAt?: string | null }>(
	status: S,
	own: readonly T[],
	pool: Iterable<T>,
	compare: (a: T, b: T) => number
): T[] {
	const keep = (item: T) => item.status === status && !item.archivedAt;
	const items = own.filter(keep);
	const ids = new Set(items.map((i) => i.id));
	for (const item of pool) {
		if (!keep(item) || ids.has(item.id)) continue;
		ids.add(item.id);
		const at = items.findIndex((other) => compare(item, other) < 0);
		items.splice(at < 0 ? items.length : at, 0, item);
	}
	return items;
}

/** One filter per column: the board's filter with the column's status (the variables of a board's counts query). */
export function perColumn<S extends string, F extends object>(columns: readonly S[], filter: F): Record<string, F & { status: S[] }> {
	return Object.fromEntries(columns.map((status) => [camel(status), { ...filter, status: [status] }]));
}

/** `ROUGH_IN` → `roughIn`: a status as a GraphQL variable / alias name. */
export const camel = (status: string) => status.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
