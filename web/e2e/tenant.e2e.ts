import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

describe('the tenant switcher (development: X-Dev-Tenant until identity lands)', () => {
	it('switches the acting tenant: new client, the header on every API request, kept across reloads', async () => {
		const page = await newPage({ viewport: 'tablet', devTenant: 'all_county' });
		await page.goto('/');
		await page.getByText(/^API healthy/).waitFor();
		const switcher = page.getByLabel('Tenant');
		expect(await switcher.inputValue()).toBe('all_county');

		const apiRequest = page.waitForRequest((r) => r.url().startsWith(e2e.apiUrl) && r.method() !== 'OPTIONS');
		await switcher.selectOption('h2o');
		expect((await apiRequest).headers()['x-dev-tenant']).toBe('h2o');
		await page.getByText(/^API healthy/).waitFor();
		expect(await page.getByText('Connection lost').count()).toBe(0);

		await page.reload();
		await page.getByText(/^API healthy/).waitFor();
		expect(await page.getByLabel('Tenant').inputValue()).toBe('h2o');
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		await screenshot(page, 'tenant-switcher-tablet');
	});
});
