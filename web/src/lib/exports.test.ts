import { describe, expect, it } from 'vitest';
import { exportHref } from './exports';

describe('exportHref', () => {
	it('sends the filter and order as JSON, leaving out empty and undefined ones', () => {
		const href = exportHref('jobs', { filter: { builderId: 'QnVpbGRlcjox', search: undefined, scheduled: undefined }, orderBy: { field: 'SCHEDULED_DATE', direction: 'ASC' } });
		const url = new URL(href, 'http://x');
		expect(url.pathname).toBe('/exports/jobs.csv');
		expect(JSON.parse(url.searchParams.get('filter')!)).toEqual({ builderId: 'QnVpbGRlcjox' });
		expect(JSON.parse(url.searchParams.get('orderBy')!)).toEqual({ field: 'SCHEDULED_DATE', direction: 'ASC' });
		expect(exportHref('builders', { filter: { search: undefined } })).toBe('/exports/builders.csv');
		expect(exportHref('audit-events')).toBe('/exports/audit-events.csv');
	});
});
