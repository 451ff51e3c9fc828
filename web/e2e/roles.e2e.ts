import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

/** The dashboard's HTML for `path` as the server renders it for the user signed in on `page` (before any script runs). */
async function serverHtml(page: Page, path: string): Promise<string> {
	const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
	const res = await fetch(`${e2e.webUrl}${path}`, { headers: { cookie } });
	expect(res.status).toBe(200);
	return res.text();
}

/** How many of `buttons` can be pressed. */
const enabledCount = (buttons: Locator) => buttons.evaluateAll((all) => all.filter((b) => !(b as HTMLButtonElement).disabled).length);

describe('actions follow the user’s permissions', () => {
	it('a viewer gets no New, Edit or Archive on the jobs board and a job, and the edit URL says why', async () => {
		const page = await newPage({ user: 'viewer@all-county.example', viewport: 'tablet' });
		await page.goto('/jobs');
		const card = page.locator('article[data-job-id]').first();
		await card.waitFor();
		// Hydrated: the live subscription's socket is open.
		await page.waitForLoadState('networkidle');
		expect(await page.getByRole('link', { name: 'New job' }).count()).toBe(0);
		// The moves still show where a job could go, disabled, pointing at the reason.
		const note = page.getByRole('note').filter({ hasText: "You can't move jobs between phases: your role here is viewer." });
		await note.waitFor();
		const moves = page.getByRole('button', { name: /^Move / });
		expect(await moves.count()).toBeGreaterThan(0);
		expect(await enabledCount(moves)).toBe(0);
		expect(await moves.first().getAttribute('aria-describedby')).toBe(await note.getAttribute('id'));
		expect(await card.getAttribute('draggable')).toBe('false');
		await screenshot(page, 'jobs-board-viewer-tablet');
		// The server's HTML offers nothing either (no flash of actions before the scripts run).
		expect(await serverHtml(page, '/jobs')).not.toContain('href="/jobs/new');

		const href = (await card.locator('h3 a').getAttribute('href'))!;
		await card.locator('h3 a').click();
		await page.getByRole('heading', { name: /History/ }).waitFor();
		expect(await page.getByRole('link', { name: 'Edit', exact: true }).count()).toBe(0);
		expect(await page.getByRole('button', { name: 'Archive' }).count()).toBe(0);

		await page.goto(`${href}/edit`);
		await page.getByRole('heading', { level: 1, name: 'Edit job' }).waitFor();
		expect(await page.getByRole('note').innerText()).toBe("You can't edit the job: your role here is viewer. An owner or admin can change that.");
		expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
		expect(await page.getByLabel('Community').count()).toBe(0);
		await screenshot(page, 'job-edit-refused-viewer');

		await page.goto('/jobs/new');
		await page.getByRole('heading', { level: 1, name: 'New job' }).waitFor();
		await page.getByRole('note').filter({ hasText: "You can't create jobs" }).waitFor();
		expect(await page.getByRole('button', { name: 'Create job' }).count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('a dispatcher in H2O gets the status actions on dispatch; a viewer there sees them disabled, with the reason', async () => {
		const dispatcher = await newPage({ user: 'dispatcher@h2o.example' });
		const viewer = await newPage({ user: 'viewer@h2o.example' });
		for (const p of [dispatcher, viewer]) {
			await p.goto('/service-calls');
			await p.locator('li.call').first().waitFor();
			await p.waitForLoadState('networkidle');
		}
		// A call's status actions are named "<Status>: <customer>".
		const statusActions = (p: Page) => p.locator('li.call .actions button[aria-label*=": "]');

		expect(await statusActions(dispatcher).count()).toBeGreaterThan(0);
		expect(await enabledCount(statusActions(dispatcher))).toBe(await statusActions(dispatcher).count());
		expect(await dispatcher.getByRole('button', { name: 'Assign' }).count()).toBeGreaterThan(0);
		expect(await dispatcher.getByRole('link', { name: 'New service call' }).count()).toBe(1);
		expect(await dispatcher.getByRole('note').count()).toBe(0);

		expect(await statusActions(viewer).count()).toBe(await statusActions(dispatcher).count());
		expect(await enabledCount(statusActions(viewer))).toBe(0);
		expect(await viewer.getByRole('button', { name: 'Assign' }).count()).toBe(0);
		expect(await viewer.getByRole('link', { name: 'New service call' }).count()).toBe(0);
		await viewer.getByRole('note').filter({ hasText: "You can't assign technicians or change the status of calls: your role here is viewer." }).waitFor();
		await screenshot(viewer, 'service-calls-dispatch-viewer');

		// The dispatcher's action works: the call takes its next status (one that keeps it on the open list
		// and needs no technician first).
		const action = statusActions(dispatcher).filter({ hasNotText: /Completed|Cancelled|Dispatched/ }).first();
		const id = (await action.locator('xpath=ancestor::li').getAttribute('data-call-id'))!;
		const next = (await action.innerText()).trim();
		await action.click();
		await expect.poll(() => dispatcher.locator(`li.call[data-call-id="${id}"] .head .badge`).nth(1).innerText(), { timeout: 10_000 }).toBe(next);
		for (const p of [dispatcher, viewer]) expect(await p.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('an estimator gets New bid and the bid status actions; a viewer gets neither', async () => {
		const estimator = await newPage({ user: 'estimator@all-county.example' });
		const viewer = await newPage({ user: 'viewer@all-county.example' });
		for (const p of [estimator, viewer]) {
			await p.goto('/bids');
			await p.locator('article[data-bid-id]').first().waitFor();
			await p.waitForLoadState('networkidle');
		}
		await estimator.getByRole('link', { name: 'New bid' }).click();
		await estimator.getByRole('heading', { level: 1, name: 'New bid' }).waitFor();
		await estimator.getByRole('button', { name: 'Create bid' }).waitFor();
		await estimator.goBack();
		const estimatorMarks = estimator.getByRole('button', { name: /^Mark / });
		await estimatorMarks.first().waitFor();
		expect(await estimatorMarks.first().isEnabled()).toBe(true);

		expect(await viewer.getByRole('link', { name: 'New bid' }).count()).toBe(0);
		const viewerMarks = viewer.getByRole('button', { name: /^Mark / });
		expect(await viewerMarks.count()).toBeGreaterThan(0);
		expect(await enabledCount(viewerMarks)).toBe(0);
		await viewer.getByRole('note').filter({ hasText: "You can't change the status of bids" }).waitFor();
		for (const p of [estimator, viewer]) expect(await p.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
