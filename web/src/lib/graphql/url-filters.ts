import { goto } from '$app/navigation';

/** How a list's filters appear in the URL: `one` is a single value (`?builder=b1`), `many` repeats (`?status=a&status=b`). */
export type FilterSpec = Record<string, 'one' | 'many'>;

export type Filters<S extends FilterSpec> = {
	[K in keyof S]: S[K] extends 'many' ? string[] : string | undefined;
};

/** Pagination parameters: a page position is meaningless once the filters change. */
export const CURSOR_PARAMS = ['after', 'before'] as const;

/** Reads the filters of `spec` from a URL's query; absent and empty values read as `undefined` / `[]`. */
export function readFilters<S extends FilterSpec>(params: URLSearchParams, spec: S): Filters<S> {
	const out: Record<string, string | string[] | undefined> = {};
	for (const [key, kind] of Object.entries(spec)) {
		out[key] = kind === 'many' ? params.getAll(key).filter(Boolean) : params.get(key) || undefined;
	}
	return out as Filters<S>;
}

/**
 * A copy of `url` with `patch` applied: a key set to `undefined`, `''` or `[]` is removed; other parameters
 * are kept, except the cursors (`after`, `before`), which are dropped when any filter actually changes.
 */
export function withFilters<S extends FilterSpec>(url: URL, patch: Partial<Filters<S>>): URL {
	const next = new URL(url);
	for (const [key, value] of Object.entries(patch) as Array<[string, string | string[] | undefined]>) {
		next.searchParams.delete(key);
		for (const v of Array.isArray(value) ? value : [value]) if (v) next.searchParams.append(key, v);
	}
	const changed = Object.keys(patch).some(
		(key) => url.searchParams.getAll(key).join('\u0000') !== next.searchParams.getAll(key).join('\u0000')
	);
	if (changed) for (const key of CURSOR_PARAMS) next.searchParams.delete(key);
	return next;
}

/**
 * Navigates to `url` with `patch` applied, as a new history entry (so Back restores the previous filters),
 * keeping focus and scroll where they are. Does nothing when the URL would not change.
 */
export async function applyFilters<S extends FilterSpec>(
	url: URL,
	patch: Partial<Filters<S>>,
	navigate: typeof goto = goto
): Promise<void> {
	const next = withFilters(url, patch);
	if (next.search === url.search) return;
	await navigate(`${next.pathname}${next.search}${next.hash}`, {
		replaceState: false,
		keepFocus: true,
		noScroll: true
	});
}
