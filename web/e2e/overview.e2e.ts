import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiSession, newPage, screenshot } from './support/harness.ts';

/** The count the overview shows for a job status (its legend entry). */
const shownCount = async (page: Page, status: string) => Number(await page.locator(`[data-testid="jobs-by-status"] a[data-status="${status}"] strong`).innerText());

describe('overview', () => {
	it('shows the jobs, bids and webhook figures as charts, each linking to its list, with the API’s numbers', async () => {
		const api = await apiSession('admin@all-county.example', 'all_county');
		const { jobFigures } = await api('{ jobFigures { byStatus { status count } byBuilder(first: 5) { builderId builderName } } }');
		const page = await newPage({ user: 'admin@all-county.example', viewport: 'tablet' });
		await page.goto('/');
		for (const chart of ['jobs-status-chart', 'jobs-weeks-chart', 'bids-value-chart']) await page.locator(`[data-testid="${chart}"] svg`).first().waitFor();
		// LayerChart drew one bar per status
		expect(await page.locator('[data-testid="jobs-status-chart"] svg rect, [data-testid="jobs-status-chart"] svg path').count()).toBeGreaterThanOrEqual(9);
		for (const { status, count } of jobFigures.byStatus) expect(await shownCount(page, status), status).toBe(count);
		// the win rate's months: one label each, none repeated
		const { bidFigures } = await api('{ bidFigures { winRateByMonth(months: 12) { winRate } } }');
		const decidedMonths = bidFigures.winRateByMonth.filter((m: { winRate: number | null }) => m.winRate !== null).length;
		if (decidedMonths) {
			const labels = await page.locator('[data-testid="bids-rate-chart"] svg text').allTextContents();
			const months = labels.filter((l) => /^[A-Z][a-z]{2} \d{2}$/.test(l.trim()));
			expect(months.length).toBe(decidedMonths);
			expect(new Set(months).size).toBe(months.length);
		}
		await page.getByTestId('webhook-figures').getByRole('link', { name: /Delivery success/ }).waitFor();
		expect(await page.getByTestId('service-call-figures').count()).toBe(0); // all_county has no service calls

		// a status's figure opens the board at that phase alone, whose count is the figure
		const { status, count } = jobFigures.byStatus.find((s: { count: number }) => s.count > 0);
		await page.locator(`[data-testid="jobs-by-status"] a[data-status="${status}"]`).click();
		await page.waitForURL((url) => url.pathname === '/jobs' && url.searchParams.get('status') === status);
		const columns = page.getByRole('group', { name: 'Phases' }).getByTestId('column-count');
		await expect.poll(() => columns.allInnerTexts(), { timeout: 10_000 }).toEqual([`(${count})`]);
		await page.goto('/');
		await page.locator('[data-testid="jobs-by-builder"] a').first().waitFor();

		const builder = jobFigures.byBuilder[0];
		const link = page.getByTestId('jobs-by-builder').getByRole('link', { name: builder.builderName });
		expect(await link.getAttribute('href')).toBe(`/jobs?builder=${encodeURIComponent(builder.builderId)}`);
		await screenshot(page, 'overview-tablet');
		await link.click();
		await page.waitForURL((url) => url.pathname === '/jobs' && url.searchParams.get('builder') === builder.builderId);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('changes live when another session moves a job', async () => {
		const other = await apiSession('dispatcher@all-county.example', 'all_county');
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/');
		await page.locator('[data-testid="jobs-by-status"] a[data-status="SCHEDULED"]').waitFor();
		const { jobs } = await other('{ jobs(first: 1, filter: { status: [SCHEDULED] }) { edges { node { id version } } } }');
		const job = jobs.edges[0].node;
		const [scheduled, onHold] = [await shownCount(page, 'SCHEDULED'), await shownCount(page, 'ON_HOLD')];
		const move = 'mutation ($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id version } } }';
		const moved = await other(move, { input: { id: job.id, status: 'ON_HOLD', expectedVersion: job.version } });
		try {
			await expect.poll(() => shownCount(page, 'SCHEDULED'), { timeout: 10_000 }).toBe(scheduled - 1);
			expect(await shownCount(page, 'ON_HOLD')).toBe(onHold + 1);
		} finally {
			await other(move, { input: { id: job.id, status: 'SCHEDULED', expectedVersion: moved.changeJobStatus.job.version } });
		}
		await expect.poll(() => shownCount(page, 'SCHEDULED'), { timeout: 10_000 }).toBe(scheduled);

		// a page opened afterwards finds both moves in its activity feed, from the audit trail
		const later = await newPage({ user: 'admin@all-county.example' });
		await later.goto('/');
		const feed = later.getByRole('region', { name: 'Live activity' }).getByRole('listitem');
		await expect.poll(() => feed.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
		expect(await feed.first().innerText()).toMatch(/by /);
	});

	it('shows a dispatcher the service calls: emergencies first, each figure a link to the filtered list', async () => {
		const api = await apiSession('dispatcher@h2o.example', 'h2o');
		const { serviceCallFigures } = await api('{ serviceCallFigures { openEmergencies { count } thisWeek { total } } }');
		const page = await newPage({ user: 'dispatcher@h2o.example', viewport: 'tablet' });
		await page.goto('/');
		const emergencies = page.getByTestId('open-emergencies');
		await emergencies.waitFor();
		expect(await emergencies.locator('strong').innerText()).toBe(String(serviceCallFigures.openEmergencies.count));
		expect(await page.getByTestId('calls-week').locator('strong').innerText()).toBe(String(serviceCallFigures.thisWeek.total));
		await page.locator('[data-testid="calls-open-chart"] svg').first().waitFor();
		expect(await page.getByTestId('job-figures').count()).toBe(0);
		expect(await page.getByTestId('webhook-figures').count()).toBe(0); // dispatchers do not manage webhooks
		await screenshot(page, 'overview-dispatcher-tablet');
		await emergencies.click();
		await page.waitForURL((url) => url.pathname === '/service-calls' && url.searchParams.get('priority') === 'EMERGENCY');
		const listed = page.getByRole('status').filter({ hasText: 'calls shown' });
		await expect.poll(() => listed.innerText(), { timeout: 10_000 }).toMatch(new RegExp(` of ${serviceCallFigures.openEmergencies.count} calls shown`));
		// this week's windows, in the tenant's time zone: the list behind the figure holds exactly the calls it counts
		await page.goto('/');
		await page.getByTestId('calls-week').click();
		await page.waitForURL((url) => url.pathname === '/service-calls' && url.searchParams.has('from'));
		await expect.poll(() => listed.innerText(), { timeout: 10_000 }).toMatch(new RegExp(` of ${serviceCallFigures.thisWeek.total} calls shown`));
	});
});
