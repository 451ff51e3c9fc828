import { describe, expect, it } from 'vitest';
import { bidFormValues, bidTotal, readBidForm, type BidFormValues } from './bid-form';

const base: BidFormValues = { ...bidFormValues(), builderId: 'b1', project: ' Heron Bay ', dueDate: '2026-05-01', plans: 'A, , B ' };

describe('readBidForm', () => {
	it('sends the amount when there are no lines', () => {
		const parsed = readBidForm({ ...base, amount: '12,500' });
		expect(parsed).toEqual({
			ok: true,
			input: { builderId: 'b1', project: 'Heron Bay', dueDate: '2026-05-01', estimator: null, plans: ['A', 'B'], notes: null, amountCents: 1_250_000, lineItems: [] }
		});
	});

	it('leaves the amount to the API when there are lines, and prices them in cents', () => {
		const parsed = readBidForm({ ...base, amount: '1', lineItems: [{ description: ' Rough-in ', quantity: '3', unitPrice: '150.50' }] });
		expect(parsed.ok && parsed.input.amountCents).toBeNull();
		expect(parsed.ok && parsed.input.lineItems).toEqual([{ description: 'Rough-in', quantity: 3, unitPriceCents: 15_050 }]);
	});

	it('refuses what is not a number, next to the line’s field, and a missing builder or date', () => {
		const parsed = readBidForm({ ...base, builderId: '', dueDate: '', lineItems: [{ description: 'x', quantity: '2.5', unitPrice: 'abc' }] });
		expect(parsed).toEqual({
			ok: false,
			fieldErrors: {
				builderId: 'Choose the builder.',
				dueDate: 'Pick the due date.',
				'lineItems.0.quantity': 'Enter a whole number.',
				'lineItems.0.unitPriceCents': 'Enter a price in dollars.'
			}
		});
	});
});

describe('bidTotal', () => {
	it('sums the lines, or reads the amount without lines', () => {
		expect(bidTotal({ ...base, lineItems: [{ description: 'a', quantity: '2', unitPrice: '10' }, { description: 'b', quantity: '1', unitPrice: '0.50' }] })).toBe(2050);
		expect(bidTotal({ ...base, amount: '99' })).toBe(9900);
		expect(bidTotal({ ...base, lineItems: [{ description: 'a', quantity: '', unitPrice: '10' }] })).toBeNull();
	});
});
