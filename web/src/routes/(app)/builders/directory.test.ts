import { describe, expect, it } from 'vitest';
import { DIRECTORY_PAGE_SIZE, directoryVariables } from './directory';

describe('directoryVariables', () => {
	it('maps the URL to the query’s variables', () => {
		expect(directoryVariables(new URLSearchParams('q=Homes&status=inactive&after=YzE'))).toEqual({
			first: DIRECTORY_PAGE_SIZE,
			after: 'YzE',
			filter: { search: 'Homes', active: false }
		});
		expect(directoryVariables(new URLSearchParams('status=active')).filter).toEqual({ search: undefined, active: true });
	});

	it('reads an unknown status as no status filter, and nothing set as the first unfiltered page', () => {
		expect(directoryVariables(new URLSearchParams('status=gone')).filter?.active).toBeUndefined();
		expect(JSON.stringify(directoryVariables(new URLSearchParams('')))).toBe(`{"first":${DIRECTORY_PAGE_SIZE},"after":null,"filter":{}}`);
	});
});
