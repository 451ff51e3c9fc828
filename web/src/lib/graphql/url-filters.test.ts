import { describe, expect, it, vi } from 'vitest';
import { applyFilters, readFilters, withFilters } from './url-filters';

const spec = { builder: 'one', status: 'many', search: 'one' } as const;
const url = (search: string) => new URL(`http://127.0.0.1/jobs${search}`);

describe('readFilters', () => {
	it('reads single and repeated parameters, ignoring others and empty values', () => {
		const filters = readFilters(url('?builder=b1&status=TRIM&status=FINAL&status=&page=2&search=').searchParams, spec);
		expect(filters).toEqual({ builder: 'b1', status: ['TRIM', 'FINAL'], search: undefined });
	});

	it('reads absent filters as undefined and []', () => {
		expect(readFilters(url('').searchParams, spec)).toEqual({ builder: undefined, status: [], search: undefined });
	});
});

describe('withFilters', () => {
	it('sets, replaces and removes filters, keeping other parameters', () => {
		const next = withFilters<typeof spec>(url('?builder=b1&status=TRIM&view=board'), {
			builder: 'b2',
			status: ['FINAL', 'TRIM'],
			search: ''
		});
		expect(next.search).toBe('?view=board&builder=b2&status=FINAL&status=TRIM');
	});

	it('drops the page cursors when a filter changes', () => {
		const next = withFilters<typeof spec>(url('?status=TRIM&after=abc&before=def'), { status: [] });
		expect(next.search).toBe('');
	});

	it('keeps the cursors when nothing changes', () => {
		const next = withFilters<typeof spec>(url('?builder=b1&after=abc'), { builder: 'b1' });
		expect(next.searchParams.get('after')).toBe('abc');
	});

	it('does not modify the given URL', () => {
		const original = url('?builder=b1');
		withFilters<typeof spec>(original, { builder: undefined });
		expect(original.search).toBe('?builder=b1');
	});
});

describe('applyFilters', () => {
	it('navigates to a new history entry, keeping focus and scroll', async () => {
		const navigate = vi.fn(async () => undefined);
		await applyFilters<typeof spec>(url('?builder=b1#top'), { status: ['TRIM'] }, navigate);
		expect(navigate).toHaveBeenCalledWith('/jobs?builder=b1&status=TRIM#top', {
			replaceState: false,
			keepFocus: true,
			noScroll: true
		});
	});

	it('does not navigate when the filters are unchanged', async () => {
		const navigate = vi.fn(async () => undefined);
		await applyFilters<typeof spec>(url('?builder=b1'), { builder: 'b1' }, navigate);
		expect(navigate).not.toHaveBeenCalled();
	});
});
