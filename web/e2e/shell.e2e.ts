import { describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

const sections = ['Jobs board', 'Bids', 'Builders', 'Marketing', 'Settings'];
const user = 'admin@all-county.example';

describe('the app shell', () => {
	it('renders the overview at / with the navigation and the API status', async () => {
		const page = await newPage({ user });
		const nav = page.getByRole('navigation', { name: 'Main' });
		expect(await nav.getByRole('link').allInnerTexts()).toEqual(sections);
		await page.getByText(/^API healthy, version \S+/).waitFor();
		expect(await page.title()).toBe('Overview · H2O-ACP');
		expect(await page.getByText('Connection lost').count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		await screenshot(page, 'overview-desktop');
	});

	it('navigates between sections and marks the current one', async () => {
		const page = await newPage({ viewport: 'tablet', user });
		await page.getByRole('link', { name: 'Builders' }).click();
		await page.getByRole('heading', { level: 1, name: 'Builders' }).waitFor();
		expect(new URL(page.url()).pathname).toBe('/builders');
		expect(await page.getByRole('link', { name: 'Builders' }).getAttribute('aria-current')).toBe('page');
		expect(await page.getByRole('link', { name: 'Bids' }).getAttribute('aria-current')).toBeNull();
		// a tablet shows the navigation beside the content, without a menu button
		expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
		await page.getByRole('table').waitFor();
		await screenshot(page, 'builders-tablet');
	});

	it('on a phone, hides the navigation behind a menu button', async () => {
		const page = await newPage({ viewport: 'phone', user });
		const menu = page.getByRole('button', { name: 'Menu' });
		const jobs = page.getByRole('link', { name: 'Jobs board' });
		await page.getByText(/^API healthy/).waitFor();
		expect(await jobs.isVisible()).toBe(false);
		expect(await menu.getAttribute('aria-expanded')).toBe('false');
		await menu.click();
		expect(await menu.getAttribute('aria-expanded')).toBe('true');
		await jobs.waitFor({ state: 'visible' });
		await screenshot(page, 'overview-phone-menu');
		await jobs.click();
		await page.getByRole('heading', { level: 1, name: 'Jobs board' }).waitFor();
		expect(await jobs.isVisible()).toBe(false);
	});

	it('starts with a skip link that moves focus to the content', async () => {
		const page = await newPage({ user });
		await page.getByText(/^API healthy/).waitFor();
		await page.goto('/');
		await page.getByText(/^API healthy/).waitFor();
		await page.keyboard.press('Tab');
		const focused = () => page.evaluate(() => ({ text: document.activeElement?.textContent?.trim(), id: document.activeElement?.id }));
		expect((await focused()).text).toBe('Skip to content');
		const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
		expect(outline).not.toBe('none');
		await page.keyboard.press('Enter');
		await expect.poll(async () => (await focused()).id).toBe('main');
	});

	it('renders on the server, before any script runs: without a session, the sign-in page', async () => {
		const { e2e } = await import('./support/harness.ts');
		const res = await fetch(new URL('/', e2e.webUrl), { redirect: 'manual' });
		expect(res.status).toBe(303);
		expect(res.headers.get('location')).toBe('/login?redirectTo=%2F');
		const html = await (await fetch(new URL('/login', e2e.webUrl))).text();
		expect(html).toContain('Skip to content');
		expect(html).toMatch(/<input[^>]*id="email"/);
	});
});
