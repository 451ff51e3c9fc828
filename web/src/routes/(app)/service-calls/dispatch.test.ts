import { describe, expect, it } from 'vitest';
import { dispatchFilter, dispatchOrder, OPEN_STATUSES } from './dispatch';

describe('dispatchOrder', () => {
	it('puts emergencies first, then the earliest window, unbooked calls last', () => {
		const calls = [
			{ id: 'a', priority: 'ROUTINE' as const, windowStart: '2026-01-01T10:00:00Z' },
			{ id: 'b', priority: 'EMERGENCY' as const, windowStart: null },
			{ id: 'c', priority: 'URGENT' as const, windowStart: '2026-01-02T10:00:00Z' },
			{ id: 'd', priority: 'URGENT' as const, windowStart: '2026-01-01T10:00:00Z' },
			{ id: 'e', priority: 'URGENT' as const, windowStart: null }
		];
		expect(dispatchOrder(calls).map((c) => c.id)).toEqual(['b', 'd', 'c', 'e', 'a']);
	});
});

describe('dispatchFilter', () => {
	it('shows open calls unless statuses are chosen', () => {
		expect(dispatchFilter(new URLSearchParams('')).status).toEqual(OPEN_STATUSES);
		expect(dispatchFilter(new URLSearchParams('status=COMPLETED&status=INVOICED')).status).toEqual(['COMPLETED', 'INVOICED']);
	});

	it('maps priorities and the window days to the API filter', () => {
		expect(dispatchFilter(new URLSearchParams('priority=EMERGENCY&from=2026-02-01'))).toEqual({
			status: OPEN_STATUSES,
			priority: ['EMERGENCY'],
			window: { from: '2026-02-01T00:00:00Z', to: undefined }
		});
	});

	it('takes exact instants as they are (the overview links a period in the tenant’s time zone)', () => {
		const params = new URLSearchParams({ from: '2026-02-01T05:00:00.000Z', to: '2026-02-02T04:59:59.999Z' });
		expect(dispatchFilter(params).window).toEqual({ from: '2026-02-01T05:00:00.000Z', to: '2026-02-02T04:59:59.999Z' });
	});
});
