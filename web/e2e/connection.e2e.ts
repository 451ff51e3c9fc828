import { describe, expect, it } from 'vitest';
import { api, newPage, screenshot } from './support/harness.ts';

const banner = 'Connection lost — reconnecting…';

describe('the dashboard with the API stopped and restarted under it', () => {
	for (const how of ['stopped', 'killed'] as const) {
		it(`shows the banner while the API is ${how}, then recovers and re-syncs`, async () => {
			const page = await newPage({ user: 'dispatcher@h2o.example' });
			const healthy = page.getByText(/^API healthy, version/);
			await healthy.waitFor();
			const timeBefore = await page.getByText(/^Server time/).innerText();
			expect(await page.getByText(banner).count()).toBe(0);

			try {
				await api.stop({ kill: how === 'killed' });
				await page.getByText(banner).waitFor({ timeout: 10_000 });
				if (how === 'stopped') await screenshot(page, 'connection-lost');
			} finally {
				await api.start();
			}
			const lostAt = Date.now();
			await page.getByText(banner).waitFor({ state: 'detached', timeout: 15_000 });
			console.log(`[e2e] banner gone ${Date.now() - lostAt} ms after the API was ready again`);
			// onReconnect re-ran the overview's query: a fresh server time
			await expect.poll(() => page.getByText(/^Server time/).innerText(), { timeout: 10_000 }).not.toBe(timeBefore);
			await healthy.waitFor();
			expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		});
	}
});
