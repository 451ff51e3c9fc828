import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

describe('settings: background jobs', () => {
	const db = new pg.Client({ connectionString: e2e.databaseUrl });
	const subjects = [crypto.randomUUID(), crypto.randomUUID()]; // publish jobs of channels that do not exist

	beforeAll(async () => {
		await db.connect();
		const { rows } = await db.query<{ id: string }>(`SELECT id FROM "Tenant" WHERE slug = 'all_county'`);
		// what a worker leaves after spending every attempt (a publish job whose channel no longer exists: a rerun is a no-op)
		for (const targetId of subjects) {
			await db.query(`SELECT graphile_worker.add_job('marketing.publish', json_build_object('tenantId', $1::text, 'targetId', $2::text), run_at := now() + interval '1 hour', max_attempts := 3)`, [rows[0]!.id, targetId]);
			await db.query(`UPDATE graphile_worker._private_jobs SET attempts = 3, last_error = 'POST /1111/feed: 503 (#2) Service temporarily unavailable' WHERE payload->>'targetId' = $1`, [targetId]);
		}
	});
	afterAll(async () => {
		await db.query(`DELETE FROM graphile_worker._private_jobs WHERE payload->>'targetId' = ANY($1)`, [subjects]);
		await db.end();
	});

	it('shows an admin the failed jobs with their error; retry runs one again, cancel drops the other', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/settings');
		await page.getByRole('link', { name: 'Background jobs' }).click();
		await page.getByRole('heading', { level: 1, name: 'Background jobs' }).waitFor();
		const row = (subject: string) => page.getByTestId('job').filter({ hasText: subject });
		await row(subjects[0]!).waitFor();
		expect(await row(subjects[0]!).innerText()).toMatch(/marketing\.publish[\s\S]*Failed[\s\S]*3 \/ 3[\s\S]*503/);
		await screenshot(page, 'settings-jobs');

		await row(subjects[0]!).getByRole('button', { name: 'Retry' }).click();
		await row(subjects[0]!).waitFor({ state: 'detached' }); // run again (the worker finds nothing to publish: done)
		await row(subjects[1]!).getByRole('button', { name: 'Cancel' }).click();
		await row(subjects[1]!).waitFor({ state: 'detached' });
		// the retried one is queued now, and the worker completes it
		const left = async () => (await db.query(`SELECT 1 FROM graphile_worker._private_jobs WHERE payload->>'targetId' = ANY($1)`, [subjects])).rows.length;
		await expect.poll(left, { timeout: 20_000, interval: 200 }).toBe(0);
		// the worker records a completion within a quarter second of it (jobs/completions.ts flushes every 250 ms); the
		// view shows what is recorded when it asks, so wait for the record before asking
		const recorded = async () => (await db.query(`SELECT 1 FROM "WorkerJobCompletion" WHERE payload->>'targetId' = $1`, [subjects[0]])).rows.length;
		await expect.poll(recorded, { timeout: 10_000, interval: 100 }).toBe(1);
		// completed jobs are listed too (the worker records them): the retried one, not the cancelled one
		await page.getByRole('checkbox', { name: 'Completed' }).check();
		await row(subjects[0]!).waitFor();
		expect(await row(subjects[0]!).innerText()).toMatch(/marketing\.publish[\s\S]*Completed[\s\S]*1 \/ 3[\s\S]*done /);
		expect(await row(subjects[1]!).count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('says why a marketer does not see it', async () => {
		const page = await newPage({ user: 'marketer@all-county.example' });
		await page.goto('/settings/jobs');
		await page.getByText(/You can't see background jobs: your role here is marketer/).waitFor();
		expect(await page.getByTestId('job').count()).toBe(0);
	});
});
