import { describe, expect, it } from 'vitest';
import { orderMoves } from './phases';

describe('orderMoves', () => {
	it('offers the next phase first', () => {
		expect(orderMoves(['CANCELLED', 'ON_HOLD', 'UNDERGROUND'])).toEqual(['UNDERGROUND', 'ON_HOLD', 'CANCELLED']);
	});
});
