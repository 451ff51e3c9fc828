import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

const navLinks = (page: Awaited<ReturnType<typeof newPage>>) =>
	page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();

describe('the tenant switcher', () => {
	it("switches the acting tenant of a user of both: X-Tenant-Id on every request, the tenant's navigation, kept across reloads", async () => {
		const page = await newPage({ viewport: 'tablet', user: 'office@h2o-acp.example' });
		await page.getByText(/^API healthy/).waitFor();
		const switcher = page.getByLabel('Tenant');
		const options = await switcher.locator('option').allInnerTexts();
		expect(options).toHaveLength(2);
		const current = await switcher.inputValue();
		const other = (await switcher.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).find((v) => v !== current)!;
		const before = await navLinks(page);

		const apiRequest = page.waitForRequest((r) => r.url().startsWith(e2e.apiUrl) && r.method() !== 'OPTIONS');
		await switcher.selectOption(other);
		expect((await apiRequest).headers()['x-tenant-id']).toBe(other);
		await page.getByText(/^API healthy/).waitFor();
		await expect.poll(() => navLinks(page)).not.toEqual(before);
		expect(await page.getByText('Connection lost').count()).toBe(0);

		await page.reload();
		await page.getByText(/^API healthy/).waitFor();
		expect(await page.getByLabel('Tenant').inputValue()).toBe(other);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		await screenshot(page, 'tenant-switcher-tablet');
	});

	it('shows a one-tenant user their tenant without a switcher, and only its capabilities', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example' });
		expect(await navLinks(page)).toEqual(['Service calls', 'Marketing', 'Settings']);
		expect(await page.getByLabel('Tenant').count()).toBe(0);
	});
});
