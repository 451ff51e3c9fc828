import { describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

describe('service calls dispatch', () => {
	it('lists open calls by priority with emergencies standing out', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example', viewport: 'tablet' });
		await page.goto('/service-calls');
		await page.getByRole('heading', { level: 1, name: 'Service calls' }).waitFor();
		const first = page.locator('li.call').first();
		await first.waitFor();
		expect(await first.locator('.badge').first().innerText()).toMatch(/Emergency/);
		expect(await page.getByText(/calls shown, emergencies first/).innerText()).toMatch(/^\d+ of \d+ calls shown/);
		await screenshot(page, 'service-calls-dispatch-tablet');
	});

	it('shows the server’s error next to an invalid phone, then creates the call', async () => {
		const page = await newPage({ user: 'dispatcher@h2o.example' });
		await page.goto('/service-calls/new');
		await page.getByLabel('Customer name').fill('Dana Test');
		await page.getByLabel('Phone').fill('12345');
		await page.getByLabel('Street address').fill('1 Test Way');
		await page.getByLabel('Problem').fill('Leaking faucet');
		await page.getByLabel('Priority').selectOption('EMERGENCY');
		await page.getByRole('button', { name: 'Create service call' }).click();
		const phoneError = page.locator('#customerPhone-error');
		await phoneError.waitFor();
		expect((await phoneError.innerText()).length).toBeGreaterThan(0);
		expect(await page.getByLabel('Phone').getAttribute('aria-invalid')).toBe('true');
		expect(await page.locator('#customerName-error').count()).toBe(0);
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('customerPhone');
		await screenshot(page, 'service-call-phone-error');

		await page.getByLabel('Phone').fill('8135550199');
		await page.getByRole('button', { name: 'Create service call' }).click();
		await page.getByRole('heading', { level: 1, name: /Dana Test/ }).waitFor();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		expect(await page.getByText('+18135550199').count()).toBe(1);
		await screenshot(page, 'service-call-detail');
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
