import { describe, expect, it } from 'vitest';
import { dispatchOrder } from './dispatch';

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
