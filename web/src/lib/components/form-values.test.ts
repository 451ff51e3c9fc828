import { describe, expect, it } from 'vitest';
import { centsToDollars, changedFields, dollarsToCents, editedFields, fromLocalInput, optionalText, toLocalInput, withoutNulls } from './form-values';

describe('amounts', () => {
	it('reads dollars as cents, blank as null, anything else as not an amount', () => {
		expect(dollarsToCents('12345')).toBe(1_234_500);
		expect(dollarsToCents(' $12,345.5 ')).toBe(1_234_550);
		expect(dollarsToCents('0.07')).toBe(7);
		expect(dollarsToCents('')).toBeNull();
		expect(dollarsToCents('12.345')).toBeUndefined();
		expect(dollarsToCents('-5')).toBeUndefined();
		expect(dollarsToCents('ten')).toBeUndefined();
	});

	it('shows cents as dollars, whole amounts without decimals', () => {
		expect(centsToDollars(1_234_500)).toBe('12345');
		expect(centsToDollars(1050)).toBe('10.50');
		expect(centsToDollars(null)).toBe('');
		expect(dollarsToCents(centsToDollars(98_765))).toBe(98_765);
	});
});

describe('text and instants', () => {
	it('treats blank optional text as null', () => {
		expect(optionalText('  ')).toBeNull();
		expect(optionalText(' Crew A ')).toBe('Crew A');
	});

	it('round-trips a datetime-local value through an ISO instant', () => {
		const iso = fromLocalInput('2026-03-04T09:30');
		expect(iso).toMatch(/^2026-03-0[34]T\d\d:30:00\.000Z$/);
		expect(toLocalInput(iso)).toBe('2026-03-04T09:30');
		expect(fromLocalInput('')).toBeNull();
		expect(toLocalInput(null)).toBe('');
	});
});

describe('changedFields', () => {
	it('keeps only what differs, comparing arrays by content and null like absent', () => {
		const base: { community: string; lot: string | null; plans: string[]; amountCents: number | null } = { community: 'Heron Bay', lot: null, plans: ['A', 'B'], amountCents: 100 };
		expect(changedFields(base, { ...base, plans: ['A', 'B'] })).toEqual({});
		expect(changedFields(base, { ...base, lot: '12', plans: ['A'], amountCents: null })).toEqual({ lot: '12', plans: ['A'], amountCents: null });
	});
});

describe('withoutNulls', () => {
	it('drops null entries and keeps falsy values that mean something', () => {
		expect(withoutNulls({ a: null, b: 0, c: '', d: false, e: 'x' })).toEqual({ b: 0, c: '', d: false, e: 'x' });
	});
});

describe('editedFields', () => {
	const read = (v: { name: string; amount: string }) => {
		const amountCents = dollarsToCents(v.amount);
		return amountCents === undefined
			? ({ ok: false, fieldErrors: { amountCents: 'must be an amount' } } as const)
			: ({ ok: true, input: { name: v.name.trim(), amountCents } } as const);
	};

	it('sends only the fields the user changed', () => {
		expect(editedFields(read, { name: 'A', amount: '10' }, { name: 'A ', amount: '12.50' })).toEqual({ ok: true, input: { amountCents: 1250 } });
	});

	it('reports what cannot be sent', () => {
		expect(editedFields(read, { name: 'A', amount: '10' }, { name: 'A', amount: 'ten' })).toEqual({ ok: false, fieldErrors: { amountCents: 'must be an amount' } });
	});
});
