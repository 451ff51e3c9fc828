import { describe, expect, it } from 'vitest';
import { boardColumns, boardFilter } from './board-filters';
import { JOB_COLUMNS } from './phases';

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

describe('boardColumns', () => {
	it('shows the phases the URL names (in board order), every phase when it names none or only unknown ones', () => {
		expect(boardColumns(new URLSearchParams('status=TRIM&status=SCHEDULED'))).toEqual(['SCHEDULED', 'TRIM']);
		expect(boardColumns(new URLSearchParams(''))).toEqual(JOB_COLUMNS);
		expect(boardColumns(new URLSearchParams('status=NOPE'))).toEqual(JOB_COLUMNS);
		// and the filter (the CSV export's) holds the same phases, none when none is known
		expect(boardFilter(new URLSearchParams('status=TRIM&status=SCHEDULED')).status).toEqual(['SCHEDULED', 'TRIM']);
		expect(boardFilter(new URLSearchParams('status=NOPE')).status).toBeUndefined();
	});
});
