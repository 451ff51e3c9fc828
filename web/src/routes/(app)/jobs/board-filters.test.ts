import { describe, expect, it } from 'vitest';
import { boardFilter } from './board-filters';

describe('boardFilter', () => {
	it('maps the URL to the API filter', () => {
		expect(boardFilter(new URLSearchParams('builder=b1&community=Heron+Bay&from=2026-01-01'))).toEqual({
			builderId: 'b1',
			search: 'Heron Bay',
			scheduled: { from: '2026-01-01', to: undefined }
		});
	});

	it('leaves out what the URL does not set, so an unfiltered board sends an empty filter', () => {
		expect(JSON.stringify(boardFilter(new URLSearchParams('')))).toBe('{}');
	});
});
