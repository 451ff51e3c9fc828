import { describe, expect, it } from 'vitest';
import { columnTotal } from './totals';

describe('columnTotal', () => {
	it('adds the amounts of a column', () => {
		expect(columnTotal([{ amountCents: 100 }, { amountCents: 250 }])).toBe(350);
		expect(columnTotal([])).toBe(0);
	});
});
