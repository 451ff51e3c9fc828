import { describe, expect, it } from 'vitest';
import { isCurrent, NAV_ITEMS, visibleNavItems } from './navigation';

const labels = (capabilities: Parameters<typeof visibleNavItems>[1]) =>
	visibleNavItems(NAV_ITEMS, capabilities).map((item) => item.label);

describe('visibleNavItems', () => {
	it("shows only the sections of the tenant's capabilities", () => {
		expect(labels(['serviceCalls'])).toEqual(['Service calls', 'Settings']);
		expect(labels(['jobs', 'bids'])).toEqual(['Jobs board', 'Bids', 'Builders', 'Settings']);
		expect(labels(['bids'])).toEqual(['Bids', 'Builders', 'Settings']);
		expect(labels([])).toEqual(['Settings']);
		// marketing: only for tenants with the capability (and, in the layout, users with marketing:read)
		expect(labels(['marketing'])).toEqual(['Marketing', 'Settings']);
		expect(labels(['jobs', 'bids', 'serviceCalls'])).not.toContain('Marketing');
		expect(NAV_ITEMS.find((item) => item.label === 'Marketing')?.permission).toBe('marketing:read');
	});
});

describe('isCurrent', () => {
	it('matches the section and the pages below it, not look-alike prefixes', () => {
		expect(isCurrent('/jobs', '/jobs')).toBe(true);
		expect(isCurrent('/jobs', '/jobs/J1')).toBe(true);
		expect(isCurrent('/jobs', '/jobsite')).toBe(false);
		expect(isCurrent('/', '/jobs')).toBe(false);
	});
});

describe('enabledCapabilities', () => {
	it('lists the capabilities switched on, none when unknown', async () => {
		const { enabledCapabilities } = await import('./navigation');
		expect(enabledCapabilities({ jobs: true, bids: true, serviceCalls: false, marketing: false })).toEqual(['jobs', 'bids']);
		expect(enabledCapabilities(null)).toEqual([]);
	});
});
