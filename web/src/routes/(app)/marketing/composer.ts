import type { ChannelPlatform, MarketingPostStatus } from '$lib/graphql/gql/graphql';

/** A platform's limits on a post, as the API gives them (`marketingTextLimits`). */
export interface PlatformRules {
	platform: ChannelPlatform;
	maxLength: number;
	maxHashtags?: number | null;
	requiresImage: boolean;
	maxImages: number;
}

/** Hashtags as Instagram counts them (the API's count: api/src/marketing/posts.ts `hashtagCount`). */
export const hashtagCount = (text: string) => (text.match(/(^|[^\p{L}\p{N}_&])#[\p{L}\p{N}_]+/gu) ?? []).length;

const names: Record<ChannelPlatform, string> = { FACEBOOK: 'Facebook', INSTAGRAM: 'Instagram', GOOGLE_BUSINESS: 'Google Business Profile' };

/**
 * The composer's preview: for each chosen platform, the characters left (negative when over), the hashtags and what
 * breaks its rules, in the words the API refuses it with (so a post the preview passes is one the API accepts).
 */
export function previewFit(text: string, mediaUrls: readonly string[], rules: readonly PlatformRules[], platforms: Iterable<ChannelPlatform>) {
	const chosen = new Set(platforms);
	const length = [...text].length;
	const tags = hashtagCount(text);
	return rules
		.filter((r) => chosen.has(r.platform))
		.map((r) => {
			const name = names[r.platform];
			const problems: string[] = [];
			if (length > r.maxLength) problems.push(`${name} takes at most ${r.maxLength} characters (this is ${length})`);
			if (r.maxHashtags != null && tags > r.maxHashtags) problems.push(`${name} takes at most ${r.maxHashtags} hashtags (this has ${tags})`);
			if (r.requiresImage && !mediaUrls.length) problems.push(`${name} posts need an image`);
			if (mediaUrls.length > r.maxImages) problems.push(`${name} takes ${r.maxImages === 1 ? 'one image' : `at most ${r.maxImages} images`} per post`);
			return { platform: r.platform, left: r.maxLength - length, hashtags: tags, maxHashtags: r.maxHashtags ?? null, problems };
		});
}

/** A `datetime-local` value (wall time in the browser's zone) as an ISO instant; null when empty or invalid. */
export function scheduledInstant(local: string): string | null {
	if (!local) return null;
	const at = new Date(local);
	return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/**
 * The agenda: posts still to go out (scheduled, or being published), by day in `timeZone`, days and posts in time
 * order. A day is its `YYYY-MM-DD` in that zone.
 */
export function agenda<P extends { id: string; status: MarketingPostStatus; scheduledAt?: string | null }>(posts: readonly P[], timeZone: string) {
	const dayOf = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
	const days = new Map<string, P[]>();
	const upcoming = posts
		.filter((p) => p.scheduledAt && (p.status === 'SCHEDULED' || p.status === 'PUBLISHING'))
		.sort((a, b) => Date.parse(a.scheduledAt!) - Date.parse(b.scheduledAt!) || a.id.localeCompare(b.id));
	for (const p of upcoming) {
		const day = dayOf.format(new Date(p.scheduledAt!));
		days.set(day, [...(days.get(day) ?? []), p]);
	}
	return [...days].map(([day, posts]) => ({ day, posts }));
}
