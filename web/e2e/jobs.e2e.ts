import { describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

describe('the jobs board', () => {
	it('moves a job to its next phase; another user of the tenant sees it live; the other tenant never does', async () => {
		const office = await newPage({ user: 'admin@all-county.example' });
		const dispatcher = await newPage({ user: 'dispatcher@all-county.example', viewport: 'tablet' });
		const other = await newPage({ user: 'admin@h2o.example' });

		for (const p of [office, dispatcher]) {
			await p.goto('/jobs');
			await p.getByRole('heading', { level: 1, name: 'Jobs board' }).waitFor();
		}
		const scheduled = office.getByRole('region', { name: /^Scheduled/ });
		const card = scheduled.locator('article').first();
		await card.waitFor();
		const title = await card.getByRole('heading').innerText();
		await dispatcher.getByRole('region', { name: /^Scheduled/ }).getByRole('heading', { name: title }).waitFor();
		// the other tenant has no jobs at all: no board in its navigation
		await other.goto('/');
		expect(await other.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).not.toContain('Jobs board');
		await screenshot(office, 'jobs-board');

		await office.getByRole('button', { name: `Move ${title} to Underground` }).click();
		const underground = (p: typeof office) => p.getByRole('region', { name: /^Underground/ }).getByRole('heading', { name: title });
		await underground(office).waitFor({ timeout: 10_000 });
		expect(await scheduled.getByRole('heading', { name: title }).count()).toBe(0);

		// live, without a reload, in the dispatcher's browser
		await underground(dispatcher).waitFor({ timeout: 10_000 });
		await screenshot(dispatcher, 'jobs-board-live-tablet');
		expect(await other.getByText(title).count()).toBe(0);
		for (const p of [office, dispatcher, other]) expect(await p.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
