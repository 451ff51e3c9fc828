import { describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

describe('the main screens', () => {
	it('bids pipeline: columns by status with totals', async () => {
		const page = await newPage({ user: 'estimator@all-county.example' });
		await page.goto('/bids');
		const draft = page.getByRole('region', { name: 'Draft' });
		await draft.locator('article').first().waitFor();
		expect(await draft.locator('.total').innerText()).toMatch(/^\$[\d,]+ · \d+ bids$/);
		await screenshot(page, 'bids-pipeline');
		await draft.locator('article a').first().click();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		await screenshot(page, 'bid-detail');
	});

	it('builders directory with their jobs and bids; filters in the URL', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/builders');
		await page.getByRole('table').waitFor();
		expect(await page.getByText(/shown of \d+ builders/).count()).toBe(1);
		await screenshot(page, 'builders');
		await page.getByRole('table').getByRole('link').first().click();
		await page.getByRole('heading', { level: 2, name: /^Jobs \(\d+\)/ }).waitFor();
		await page.getByRole('heading', { level: 2, name: /^Bids \(\d+\)/ }).waitFor();
		await screenshot(page, 'builder-detail');
	});

	it('job detail with its audit trail', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/jobs');
		const link = page.getByRole('region', { name: /^Trim/ }).locator('article h3 a').first();
		await link.click();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		await screenshot(page, 'job-detail');
	});

	it('jobs board filters live in the URL and survive a reload', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/jobs');
		await page.locator('article').first().waitFor();
		await page.getByLabel('Community').fill('Heron Bay');
		await page.getByLabel('Community').press('Enter');
		await expect.poll(() => new URL(page.url()).searchParams.get('community')).toBe('Heron Bay');
		await expect.poll(async () => (await page.locator('article h3').allInnerTexts()).every((t) => t.startsWith('Heron Bay'))).toBe(true);
		await page.reload();
		expect(await page.getByLabel('Community').inputValue()).toBe('Heron Bay');
		await page.goBack();
		await expect.poll(() => new URL(page.url()).searchParams.get('community')).toBeNull();
	});

	it('settings: users, API keys (shown once), tenant configuration, webhooks', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/settings/users');
		await page.getByRole('table').waitFor();
		await page.getByLabel('Name', { exact: true }).fill('New Estimator');
		await page.getByLabel('Email', { exact: true }).fill(`new-${Date.now()}@all-county.example`);
		await page.getByLabel('Role', { exact: true }).selectOption('estimator');
		await page.getByRole('button', { name: 'Invite' }).click();
		await page.getByText(/was added/).waitFor();
		await screenshot(page, 'settings-users');

		await page.goto('/settings/api-keys');
		await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
		await page.getByLabel('Name', { exact: true }).fill('e2e key');
		await page.locator('fieldset input[type=checkbox]').first().check();
		await page.getByRole('button', { name: 'Create key' }).click();
		const key = page.getByTestId('new-api-key');
		await key.waitFor();
		expect((await key.innerText()).length).toBeGreaterThan(20);
		await page.getByRole('cell', { name: 'e2e key' }).waitFor();
		await screenshot(page, 'settings-api-keys');
		await page.reload();
		await page.getByRole('cell', { name: 'e2e key' }).waitFor();
		expect(await page.getByTestId('new-api-key').count()).toBe(0);

		await page.goto('/settings/tenant');
		await page.getByRole('group', { name: 'Capabilities' }).waitFor();
		expect(await page.getByLabel('Jobs').isChecked()).toBe(true);
		await screenshot(page, 'settings-tenant');

		await page.goto('/settings/webhooks');
		await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor();
		await page.locator('main').locator('.empty-state, .endpoint, .page-error').first().waitFor();
		await screenshot(page, 'settings-webhooks');
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
