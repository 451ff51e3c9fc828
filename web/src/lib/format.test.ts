import { describe, expect, it } from 'vitest';
import { day, enumLabel, money, timeWindow } from './format';

describe('format', () => {
	it('turns enum values into words', () => {
		expect(enumLabel('ROUGH_IN')).toBe('Rough in');
		expect(enumLabel('SCHEDULED')).toBe('Scheduled');
	});
	it('prints cents as dollars', () => {
		expect(money(1_234_500)).toBe('$12,345');
		expect(money(null)).toBe('—');
	});
	it('prints calendar days without shifting them', () => {
		expect(day('2026-01-05')).toBe('Jan 5, 2026');
		expect(day(null)).toBe('—');
	});
	it('says when no window is booked', () => {
		expect(timeWindow(null, null)).toBe('Not booked');
		expect(timeWindow('2026-01-05T13:00:00.000Z', '2026-01-05T17:00:00.000Z')).toMatch(/^Jan 5, /);
	});
});
