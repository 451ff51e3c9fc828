import type { ChannelPlatform } from '$lib/graphql/gql/graphql';

/** How the text fits each chosen platform: characters left (negative when over). */
export function textFit(text: string, limits: ReadonlyArray<{ platform: ChannelPlatform; maxLength: number }>, platforms: Iterable<ChannelPlatform>) {
	const chosen = new Set(platforms);
	return limits.filter((l) => chosen.has(l.platform)).map((l) => ({ platform: l.platform, left: l.maxLength - [...text].length }));
}

/** A `datetime-local` value (wall time in the browser's zone) as an ISO instant; null when empty or invalid. */
export function scheduledInstant(local: string): string | null {
	if (!local) return null;
	const at = new Date(local);
	return Number.isNaN(at.getTime()) ? null : at.toISOString();
}
