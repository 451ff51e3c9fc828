/**
 * The newest `updatedAt` among `items` (ISO strings compare in time order), or `fallback` when there are
 * none: the instant to pass as `updatedAfter` when catching up after the live connection was lost.
 */
export function latestUpdatedAt(items: Iterable<{ updatedAt: string } | null | undefined>, fallback: string | null = null): string | null {
	let latest = fallback;
	for (const item of items) if (item && (!latest || item.updatedAt > latest)) latest = item.updatedAt;
	return latest;
}
