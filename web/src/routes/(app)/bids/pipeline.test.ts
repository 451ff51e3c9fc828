import { describe, expect, it } from 'vitest';
import { pipelineFilter } from './pipeline';

describe('pipelineFilter', () => {
	it('maps the URL to the query’s filter', () => {
		expect(pipelineFilter(new URLSearchParams('q=Heron'))).toEqual({ search: 'Heron' });
	});

	it('is unfiltered when the URL sets nothing', () => {
		expect(JSON.stringify(pipelineFilter(new URLSearchParams('')))).toBe('{}');
	});
});
