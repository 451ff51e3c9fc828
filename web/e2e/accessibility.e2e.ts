import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, viewports } from './support/harness.ts';

interface Violation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[] }[];
}

/**
 * Runs axe-core (the WCAG 2.x A and AA rules) in the page and returns the serious and critical violations, as
 * "rule: help (selectors)" lines, so a failure says what to fix and where.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
	await page.addScriptTag({ content: axe.source });
	const violations = await page.evaluate(async () => {
		const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }
		});
		return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.map(String) })) }));
	});
	return (violations as Violation[])
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** The page scrolls sideways only when something is wider than the screen: a layout that does not fit. */
const overflowsSideways = (page: Page) =>
	page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);

/** The main screens and what shows they have loaded. */
const screens: { path: string; user: string; ready: (page: Page) => Promise<unknown> }[] = [
	{ path: '/', user: 'admin@all-county.example', ready: (p) => p.locator('[data-testid="jobs-status-chart"] svg').first().waitFor() },
	{ path: '/jobs', user: 'admin@all-county.example', ready: (p) => p.locator('article').first().waitFor() },
	// a viewer's board: actions disabled, with the note that says why
	{ path: '/jobs', user: 'viewer@all-county.example', ready: (p) => p.locator('article').first().waitFor() },
	{ path: '/jobs/new', user: 'admin@all-county.example', ready: (p) => p.getByRole('button', { name: /create job/i }).waitFor() },
	{ path: '/bids', user: 'estimator@all-county.example', ready: (p) => p.locator('article').first().waitFor() },
	{ path: '/builders', user: 'admin@all-county.example', ready: (p) => p.getByRole('table').waitFor() },
	{ path: '/service-calls', user: 'dispatcher@h2o.example', ready: (p) => p.locator('main li, main article, main tr').first().waitFor() },
	{ path: '/service-calls/timeline', user: 'dispatcher@h2o.example', ready: (p) => p.locator('section.row button.block, section.waiting button').first().waitFor() },
	// a viewer's timeline: nothing to drag, with the note that says why
	{ path: '/service-calls/timeline', user: 'viewer@h2o.example', ready: (p) => p.getByRole('note').first().waitFor() },
	{ path: '/service-calls/new', user: 'dispatcher@h2o.example', ready: (p) => p.getByRole('button', { name: /create|save/i }).first().waitFor() },
	{ path: '/settings/users', user: 'admin@all-county.example', ready: (p) => p.getByRole('table').waitFor() },
	{ path: '/settings/api-keys', user: 'admin@all-county.example', ready: (p) => p.getByRole('heading', { level: 1, name: 'API keys' }).waitFor() },
	{ path: '/settings/tenant', user: 'admin@all-county.example', ready: (p) => p.getByRole('group', { name: 'Capabilities' }).waitFor() },
	{ path: '/settings/webhooks', user: 'admin@all-county.example', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor() },
	{ path: '/settings/webhooks/catalog', user: 'admin@all-county.example', ready: (p) => p.locator('ul.types > li').first().waitFor() },
	{ path: '/marketing', user: 'marketer@all-county.example', ready: (p) => p.getByRole('button', { name: 'Connect Facebook' }).waitFor() },
	{ path: '/settings/jobs', user: 'admin@all-county.example', ready: (p) => p.getByRole('group', { name: 'State' }).waitFor() }
];

describe('accessibility (axe-core, WCAG 2.1 A/AA) and fit on a tablet', () => {
	it('the sign-in page has no serious or critical problems', async () => {
		const page = await newPage({ bypassCSP: true });
		await page.goto('/login');
		await page.getByRole('button', { name: 'Sign in' }).waitFor();
		expect(await accessibilityProblems(page)).toEqual([]);
	});

	for (const screen of screens)
		it(`${screen.path} (${screen.user.split('@')[0]}) has no serious or critical problems, and fits a tablet without sideways scrolling`, async () => {
			const page = await newPage({ user: screen.user, viewport: 'tablet', bypassCSP: true });
			await page.goto(screen.path);
			await screen.ready(page);
			expect(await accessibilityProblems(page)).toEqual([]);
			expect(page.viewportSize()).toEqual(viewports.tablet);
			expect(await overflowsSideways(page)).toBe(false);
		});

	it('a keyboard user reaches the main content first, through the skip link', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/jobs');
		await page.locator('article').first().waitFor();
		await page.keyboard.press('Tab');
		const first = page.locator(':focus');
		expect((await first.innerText()).toLowerCase()).toContain('skip');
		await page.keyboard.press('Enter');
		expect(await page.evaluate(() => document.activeElement?.closest('main') !== null || document.activeElement?.id === 'main')).toBe(true);
	});
});
