import { describe, expect, it } from 'vitest';
import { BID_COLUMNS, pipelineColumns, pipelineFilter } from './pipeline';

describe('pipelineFilter', () => {
	it('maps the URL to the query’s filter', () => {
		expect(pipelineFilter(new URLSearchParams('q=Heron'))).toEqual({ search: 'Heron' });
	});

	it('is unfiltered when the URL sets nothing', () => {
		expect(JSON.stringify(pipelineFilter(new URLSearchParams('')))).toBe('{}');
	});
});

describe('pipelineColumns', () => {
	it('shows the statuses the URL names, all of them otherwise', () => {
		expect(pipelineColumns(new URLSearchParams('status=WON'))).toEqual(['WON']);
		expect(pipelineColumns(new URLSearchParams('q=x'))).toEqual(BID_COLUMNS);
	});
});
