import { describe, expect, it } from 'vitest';
import { scheduledInstant, textFit } from './composer';

describe('composer', () => {
	const limits = [
		{ platform: 'FACEBOOK' as const, maxLength: 63206 },
		{ platform: 'GOOGLE_BUSINESS' as const, maxLength: 1500 }
	];
	it('counts what is left for the chosen platforms only', () => {
		expect(textFit('x'.repeat(1501), limits, ['GOOGLE_BUSINESS'])).toEqual([{ platform: 'GOOGLE_BUSINESS', left: -1 }]);
		expect(textFit('hi', limits, [])).toEqual([]);
	});
	it('turns a local date-time into an instant, and nothing into null', () => {
		expect(scheduledInstant('')).toBeNull();
		expect(scheduledInstant('not a date')).toBeNull();
		expect(scheduledInstant('2030-01-02T03:04')).toBe(new Date('2030-01-02T03:04').toISOString());
	});
});
