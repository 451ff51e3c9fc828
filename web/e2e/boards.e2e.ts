import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiSession, newPage, screenshot } from './support/harness.ts';

const JOB_STATUSES = ['SCHEDULED', 'UNDERGROUND', 'ROUGH_IN', 'TOP_OUT', 'TRIM', 'FINAL', 'COMPLETE', 'ON_HOLD', 'CANCELLED'];
const BID_STATUSES = ['DRAFT', 'SUBMITTED', 'WON', 'LOST', 'EXPIRED'];
const column = (page: Page, status: string) => page.locator(`section.column[data-status="${status}"]`);
const shownCount = async (col: Locator) => Number(/(\d+)\D*$/.exec(await col.getByTestId('column-count').innerText())?.[1]);
const cardIds = (col: Locator, attribute: string) => col.locator('article').evaluateAll((cards, a) => cards.map((c) => c.getAttribute(a)), attribute);

describe('boards: every column with its true count and its own "More"', () => {
	it('the jobs board shows all nine phases with the API’s counts; a column’s "More" brings its next page', async () => {
		const api = await apiSession('admin@all-county.example', 'all_county');
		const page = await newPage({ user: 'admin@all-county.example', viewport: 'tablet' });
		await page.goto('/jobs');
		for (const status of JOB_STATUSES) {
			const { jobs } = await api('query ($s: [JobStatus!]) { jobs(first: 0, filter: { status: $s }) { totalCount } }', { s: [status] });
			await expect.poll(() => shownCount(column(page, status)), { timeout: 10_000 }).toBe(jobs.totalCount);
		}
		// the fullest column pages through its own jobs, in the board's order
		const { jobs } = await api('{ jobs(first: 100, filter: { status: [SCHEDULED] }, orderBy: { field: SCHEDULED_DATE, direction: ASC }) { totalCount edges { node { id } } } }');
		expect(jobs.totalCount).toBeGreaterThan(20);
		const scheduled = column(page, 'SCHEDULED');
		await expect.poll(() => scheduled.locator('article').count()).toBe(20);
		expect(await column(page, 'TRIM').locator('article').count()).toBeLessThanOrEqual(20);
		await screenshot(page, 'jobs-board-columns-tablet');
		await scheduled.getByRole('button', { name: 'More Scheduled jobs' }).click();
		const next = Math.min(40, jobs.totalCount);
		await expect.poll(() => scheduled.locator('article').count(), { timeout: 10_000 }).toBe(next);
		expect(await cardIds(scheduled, 'data-job-id')).toEqual(jobs.edges.slice(0, next).map((e: any) => e.node.id));
		// the other columns did not move
		expect(await column(page, 'TRIM').locator('article').count()).toBeLessThanOrEqual(20);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('the bids pipeline shows every status with its count; a column’s "More" brings its next page', async () => {
		const api = await apiSession('estimator@all-county.example', 'all_county');
		const { builders } = await api('{ builders(first: 1) { edges { node { id } } } }');
		const create = 'mutation ($input: CreateBidInput!) { createBid(input: $input) { bid { id version } } }';
		const created: Array<{ id: string; version: number }> = [];
		try {
			// enough drafts for a second page
			for (let i = 0; i < 12; i++)
				created.push((await api(create, { input: { builderId: builders.edges[0].node.id, project: `Paging ${i}`, dueDate: '2031-01-01', amountCents: 1000 } })).createBid.bid);
			const page = await newPage({ user: 'estimator@all-county.example' });
			await page.goto('/bids');
			for (const status of BID_STATUSES) {
				const { bids } = await api('query ($s: [BidStatus!]) { bids(first: 0, filter: { status: $s }) { totalCount } }', { s: [status] });
				await expect.poll(() => shownCount(column(page, status)), { timeout: 10_000 }).toBe(bids.totalCount);
			}
			const { bids } = await api('{ bids(first: 100, filter: { status: [DRAFT] }, orderBy: { field: DUE_DATE, direction: ASC }) { totalCount edges { node { id } } } }');
			expect(bids.totalCount).toBeGreaterThan(20);
			const drafts = column(page, 'DRAFT');
			await expect.poll(() => drafts.locator('article').count()).toBe(20);
			await drafts.getByRole('button', { name: 'More Draft bids' }).click();
			const next = Math.min(40, bids.totalCount);
			await expect.poll(() => drafts.locator('article').count(), { timeout: 10_000 }).toBe(next);
			expect(await cardIds(drafts, 'data-bid-id')).toEqual(bids.edges.slice(0, next).map((e: any) => e.node.id));
			await screenshot(page, 'bids-pipeline-more');
		} finally {
			for (const bid of created) await api('mutation ($input: ArchiveBidInput!) { archiveBid(input: $input) { bid { id } } }', { input: { id: bid.id, expectedVersion: bid.version } });
		}
	});
});
