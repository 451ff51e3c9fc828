import { describe, expect, it } from 'vitest';
import { latestUpdatedAt } from './live';

describe('latestUpdatedAt', () => {
	it('finds the newest change, or falls back when there is none', () => {
		const items = [{ updatedAt: '2026-01-02T00:00:00.000Z' }, null, { updatedAt: '2026-01-03T00:00:00.000Z' }];
		expect(latestUpdatedAt(items)).toBe('2026-01-03T00:00:00.000Z');
		expect(latestUpdatedAt([], 'x')).toBe('x');
		expect(latestUpdatedAt([])).toBeNull();
	});
});
