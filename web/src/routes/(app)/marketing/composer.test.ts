import { describe, expect, it } from 'vitest';
import { agenda, hashtagCount, previewFit, scheduledInstant } from './composer';

describe('composer', () => {
	const rules = [
		{ platform: 'FACEBOOK' as const, maxLength: 63206, maxHashtags: null, requiresImage: false, maxImages: 1 },
		{ platform: 'INSTAGRAM' as const, maxLength: 2200, maxHashtags: 30, requiresImage: true, maxImages: 1 },
		{ platform: 'GOOGLE_BUSINESS' as const, maxLength: 1500, maxHashtags: null, requiresImage: false, maxImages: 10 }
	];
	it('checks the chosen platforms only, each against its rules', () => {
		expect(previewFit('x'.repeat(1501), [], rules, ['GOOGLE_BUSINESS'])).toEqual([
			{ platform: 'GOOGLE_BUSINESS', left: -1, hashtags: 0, maxHashtags: null, problems: ['Google Business Profile takes at most 1500 characters (this is 1501)'] }
		]);
		expect(previewFit('hi', [], rules, [])).toEqual([]);
		const tags = Array.from({ length: 31 }, (_, i) => `#t${i}`).join(' ');
		const [fb, ig] = previewFit(tags, ['https://a/1.jpg', 'https://a/2.jpg'], rules, ['FACEBOOK', 'INSTAGRAM']);
		expect(fb!.problems).toEqual(['Facebook takes one image per post']);
		expect(ig!.problems).toEqual(['Instagram takes at most 30 hashtags (this has 31)', 'Instagram takes one image per post']);
		expect(previewFit('hello', [], rules, ['INSTAGRAM'])[0]!.problems).toEqual(['Instagram posts need an image']);
		expect(previewFit('hello #ok', ['https://a/1.jpg'], rules, ['INSTAGRAM'])[0]).toMatchObject({ hashtags: 1, problems: [] });
	});
	it('counts hashtags as words after #, not entities or anchors inside words', () => {
		expect(hashtagCount('#a #b c#d &#39; #é_1')).toBe(3);
	});
	it('turns a local date-time into an instant, and nothing into null', () => {
		expect(scheduledInstant('')).toBeNull();
		expect(scheduledInstant('not a date')).toBeNull();
		expect(scheduledInstant('2030-01-02T03:04')).toBe(new Date('2030-01-02T03:04').toISOString());
	});
	it('lays out the posts still to go out by day in the tenant zone, in time order', () => {
		const posts = [
			{ id: 'c', status: 'SCHEDULED' as const, scheduledAt: '2030-01-02T15:00:00Z' },
			{ id: 'a', status: 'SCHEDULED' as const, scheduledAt: '2030-01-02T03:00:00Z' }, // Jan 1, 22:00 in New York
			{ id: 'b', status: 'PUBLISHING' as const, scheduledAt: '2030-01-02T14:00:00Z' },
			{ id: 'd', status: 'PUBLISHED' as const, scheduledAt: '2030-01-02T01:00:00Z' },
			{ id: 'e', status: 'DRAFT' as const, scheduledAt: null }
		];
		expect(agenda(posts, 'America/New_York').map((d) => [d.day, d.posts.map((p) => p.id)])).toEqual([
			['2030-01-01', ['a']],
			['2030-01-02', ['b', 'c']]
		]);
		expect(agenda(posts, 'UTC').map((d) => [d.day, d.posts.map((p) => p.id)])).toEqual([['2030-01-02', ['a', 'b', 'c']]]);
	});
});
