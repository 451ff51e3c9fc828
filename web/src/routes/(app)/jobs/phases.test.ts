import { describe, expect, it } from 'vitest';
import { groupByStatus, JOB_COLUMNS, orderMoves } from './phases';

describe('groupByStatus', () => {
	it('puts every item in its column and keeps empty columns', () => {
		const groups = groupByStatus([{ id: 1, status: 'TRIM' as const }, { id: 2, status: 'SCHEDULED' as const }], JOB_COLUMNS);
		expect([...groups.keys()]).toEqual(JOB_COLUMNS);
		expect(groups.get('TRIM')).toEqual([{ id: 1, status: 'TRIM' }]);
		expect(groups.get('FINAL')).toEqual([]);
	});
});

describe('orderMoves', () => {
	it('offers the next phase first', () => {
		expect(orderMoves(['CANCELLED', 'ON_HOLD', 'UNDERGROUND'])).toEqual(['UNDERGROUND', 'ON_HOLD', 'CANCELLED']);
	});
});
