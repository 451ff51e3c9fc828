import { describe, expect, it } from 'vitest';
import { PIPELINE_PAGE_SIZE, pipelineVariables } from './pipeline';

describe('pipelineVariables', () => {
	it('maps the URL to the query’s variables', () => {
		expect(pipelineVariables(new URLSearchParams('q=Heron&after=YzE'))).toEqual({
			first: PIPELINE_PAGE_SIZE,
			after: 'YzE',
			filter: { search: 'Heron' }
		});
	});

	it('starts at the first page, unfiltered, when the URL sets nothing', () => {
		expect(JSON.stringify(pipelineVariables(new URLSearchParams('')))).toBe(`{"first":${PIPELINE_PAGE_SIZE},"after":null,"filter":{}}`);
	});
});
