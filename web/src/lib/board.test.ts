import { describe, expect, it } from 'vitest';
import { camel, columnItems, perColumn } from './board';

describe('columnItems', () => {
	const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
	it('keeps its own items still in the status in their order, places the ones moved in from other columns, once each', () => {
		const own = [
			{ id: 'e', status: 'TRIM' },
			{ id: 'b', status: 'TRIM' },
			{ id: 'a', status: 'FINAL' }, // moved out
			{ id: 'z', status: 'TRIM', archivedAt: '2026-01-01T00:00:00Z' }
		];
		const pool = [{ id: 'c', status: 'TRIM' }, { id: 'b', status: 'TRIM' }, { id: 'd', status: 'FINAL' }];
		expect(columnItems<string, { id: string; status: string; archivedAt?: string }>('TRIM', own, pool, byId).map((i) => i.id)).toEqual(['c', 'e', 'b']);
	});
});

describe('perColumn', () => {
	it('gives each column the filter with its status, named in camel case', () => {
		expect(perColumn(['ROUGH_IN', 'TRIM'] as const, { search: 'x' })).toEqual({ roughIn: { search: 'x', status: ['ROUGH_IN'] }, trim: { search: 'x', status: ['TRIM'] } });
		expect(camel('ON_HOLD')).toBe('onHold');
	});
});
