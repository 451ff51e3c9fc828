import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

/** `$12,345` → 12345 (whole dollars, as the pipeline shows totals). */
const dollars = (text: string) => Number(text.replace(/[^\d]/g, ''));

/** The API requests (HTTP) the page makes for one GraphQL operation, by name (GET or POST). */
function recordOperations(page: Page, operationName: string): string[] {
	const seen: string[] = [];
	page.on('request', (request) => {
		if (!request.url().startsWith(e2e.apiUrl)) return;
		const named = new URL(request.url()).searchParams.get('operationName') ?? request.postDataJSON()?.operationName;
		if (named === operationName) seen.push(request.method());
	});
	return seen;
}

describe('create and edit forms', () => {
	it('creating a job shows the server’s field error, then the job is on the board', async () => {
		const page = await newPage({ user: 'admin@all-county.example', viewport: 'tablet' });
		await page.goto('/jobs');
		await page.getByRole('link', { name: 'New job' }).click();
		await page.getByRole('heading', { level: 1, name: 'New job' }).waitFor();
		const builder = page.getByLabel('Builder');
		await expect.poll(() => builder.locator('option').count()).toBeGreaterThan(1);
		await builder.selectOption({ index: 1 });
		await page.getByLabel('Community').fill('E2E Meadows');
		await page.getByLabel('Lot').fill('77');
		await page.getByLabel('Start date').fill('2026-01-02');
		await page.getByLabel('ZIP').fill('123');
		await page.getByRole('button', { name: 'Create job' }).click();

		const zipError = page.locator('#postalCode-error');
		await zipError.waitFor();
		expect(await zipError.innerText()).toMatch(/ZIP code/);
		expect(await page.getByLabel('ZIP').getAttribute('aria-invalid')).toBe('true');
		expect(await page.locator('#community-error').count()).toBe(0);
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('postalCode');
		await screenshot(page, 'job-form-field-error-tablet');

		await page.getByLabel('ZIP').fill('33101');
		await page.getByRole('button', { name: 'Create job' }).click();
		await page.getByRole('heading', { level: 1, name: 'E2E Meadows · Lot 77' }).waitFor();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		await screenshot(page, 'job-created-detail');

		// Back on the board (client-side navigation): the new job is in the Scheduled column.
		await page.getByRole('link', { name: '← Jobs board' }).click();
		await page.getByRole('region', { name: /^Scheduled/ }).getByRole('heading', { name: 'E2E Meadows · Lot 77' }).waitFor({ timeout: 10_000 });
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('editing a bid’s line item changes its amount and the pipeline’s totals', async () => {
		const page = await newPage({ user: 'estimator@all-county.example' });
		await page.goto('/bids');
		const draft = page.getByRole('region', { name: 'Draft' });
		await draft.locator('article').first().waitFor();
		const totalBefore = dollars(await draft.locator('.total strong').innerText());

		await draft.locator('article h3 a').first().click();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		await page.getByRole('link', { name: 'Edit', exact: true }).click();
		await page.getByRole('heading', { level: 1, name: /^Edit / }).waitFor();
		const quantity = Number(await page.getByLabel('Line 1 quantity').inputValue());
		const price = page.getByLabel('Line 1 unit price ($)');
		const priceBefore = Number(await price.inputValue());
		await price.fill(String(priceBefore + 100));
		expect(await page.getByText(/the sum of the line items/).innerText()).toMatch(/^Amount: \$[\d,]+/);
		await screenshot(page, 'bid-edit-form');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		await page.locator('dd', { hasText: /^\$/ }).first().waitFor();

		await page.getByRole('link', { name: '← Bids' }).click();
		await expect
			.poll(async () => dollars(await page.getByRole('region', { name: 'Draft' }).locator('.total strong').innerText()), { timeout: 10_000 })
			.toBe(totalBefore + quantity * 100);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('a save over someone else’s newer change is a conflict, shown with a way to load their version', async () => {
		const mine = await newPage({ user: 'dispatcher@h2o.example' });
		const theirs = await newPage({ user: 'admin@h2o.example' });
		await mine.goto('/service-calls');
		const link = mine.locator('li.call h2 a').first();
		await link.waitFor();
		const href = (await link.getAttribute('href'))!;
		for (const p of [mine, theirs]) {
			await p.goto(`${href}/edit`);
			await p.getByLabel('Technician').waitFor();
		}
		await theirs.getByLabel('Technician').fill('Theirs T.');
		await theirs.getByRole('button', { name: 'Save changes' }).click();
		await theirs.getByRole('heading', { name: /History/ }).waitFor();

		await mine.getByLabel('Technician').fill('Mine M.');
		await mine.getByRole('button', { name: 'Save changes' }).click();
		const alert = mine.locator('.form-error');
		await alert.waitFor();
		expect(await alert.innerText()).toMatch(/changed by someone else/);
		await screenshot(mine, 'service-call-edit-conflict');
		await mine.getByRole('button', { name: 'Load the latest version' }).click();
		await expect.poll(() => mine.getByLabel('Technician').inputValue()).toBe('Theirs T.');
		await mine.getByLabel('Technician').fill('Mine M.');
		await mine.getByRole('button', { name: 'Save changes' }).click();
		await mine.locator('dd', { hasText: 'Mine M.' }).waitFor();
	});

	it('creates a builder, then archives it after confirming', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/builders/new');
		await page.getByLabel('Company name').fill('E2E Homes');
		await page.getByLabel('Phone').fill('555');
		await page.getByRole('button', { name: 'Create builder' }).click();
		await page.locator('#phone-error').waitFor();
		await screenshot(page, 'builder-form-field-error');
		await page.getByLabel('Phone').fill('(813) 555-0142');
		await page.getByRole('button', { name: 'Create builder' }).click();
		await page.getByRole('heading', { level: 1, name: 'E2E Homes' }).waitFor();

		await page.getByRole('button', { name: 'Archive' }).click();
		const dialog = page.getByRole('dialog', { name: 'Archive E2E Homes?' });
		await dialog.waitFor();
		await screenshot(page, 'builder-archive-confirmation');
		await dialog.getByRole('button', { name: 'Cancel' }).click();
		expect(await dialog.isVisible()).toBe(false);
		await page.getByRole('button', { name: 'Archive' }).click();
		await dialog.getByRole('button', { name: 'Archive' }).click();
		await page.getByRole('heading', { level: 1, name: 'Builders' }).waitFor();
		await page.getByLabel('Name, contact or city').fill('E2E Homes');
		await page.getByLabel('Name, contact or city').press('Enter');
		await page.getByRole('heading', { name: 'No builders match' }).waitFor();
	});
});

describe('server-side rendering of the first page', () => {
	async function signedInCookie(user: string): Promise<{ page: Page; cookie: string }> {
		const page = await newPage({ user });
		const cookies = await page.context().cookies();
		return { page, cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
	}

	it('the jobs board and the dispatch list come from the server with their first page in the HTML', async () => {
		const jobs = await signedInCookie('admin@all-county.example');
		const board = await fetch(`${e2e.webUrl}/jobs`, { headers: { cookie: jobs.cookie } });
		expect(board.status).toBe(200);
		const boardHtml = await board.text();
		expect(boardHtml.match(/data-job-id="/g)?.length ?? 0).toBeGreaterThan(5);
		expect(boardHtml).toMatch(/\d+ jobs in 9 phases/);

		const calls = await signedInCookie('dispatcher@h2o.example');
		const dispatch = await fetch(`${e2e.webUrl}/service-calls`, { headers: { cookie: calls.cookie } });
		const dispatchHtml = await dispatch.text();
		expect(dispatchHtml.match(/data-call-id="/g)?.length ?? 0).toBeGreaterThan(2);
		expect(dispatchHtml).toMatch(/calls shown, emergencies first/);
	});

	it('the bids pipeline and the builders directory come from the server with their first page in the HTML', async () => {
		const { page, cookie } = await signedInCookie('estimator@all-county.example');
		const pipeline = await fetch(`${e2e.webUrl}/bids`, { headers: { cookie } });
		expect(pipeline.status).toBe(200);
		const pipelineHtml = await pipeline.text();
		expect(pipelineHtml.match(/data-bid-id="/g)?.length ?? 0).toBeGreaterThan(2);
		expect(pipelineHtml).toMatch(/<p role="status">(<!--[^>]*-->)*\d+ bids(<!--[^>]*-->)*<\/p>/);

		const directory = await fetch(`${e2e.webUrl}/builders?status=active`, { headers: { cookie } });
		const directoryHtml = await directory.text();
		expect(directoryHtml.match(/data-builder-id="/g)?.length ?? 0).toBeGreaterThan(2);
		expect(directoryHtml).toMatch(/\d+ shown of \d+ builders/);

		// The browser takes both over without asking the API again.
		const requests = [recordOperations(page, 'BidsPipeline'), recordOperations(page, 'Builders')];
		await page.goto('/bids');
		await page.locator('article[data-bid-id]').first().waitFor();
		await page.goto('/builders?status=active');
		await page.locator('tr[data-builder-id]').first().waitFor();
		await page.waitForLoadState('networkidle');
		expect(requests).toEqual([[], []]);
		expect(await page.getByText(/^Loading (bids|builders)…/).count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('the browser takes the server’s first page over without asking the API again', async () => {
		const { page } = await signedInCookie('admin@all-county.example');
		const boardRequests = recordOperations(page, 'JobsBoard');
		await page.goto('/jobs?community=Heron%20Bay');
		await page.locator('article').first().waitFor();
		// Hydrated and live (the socket is open), and still just the server's answer on screen.
		await page.getByRole('button', { name: /^Move / }).first().waitFor();
		await page.waitForLoadState('networkidle');
		expect(boardRequests).toEqual([]);
		expect(await page.getByText('Loading jobs…').count()).toBe(0);

		// A filter changed in the browser is the browser's own request.
		await page.getByLabel('Community').fill('');
		await page.getByLabel('Community').press('Enter');
		await expect.poll(() => boardRequests.length).toBeGreaterThan(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
