import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, newPage, signIn } from './support/harness.ts';

/**
 * The dashboard under its Content-Security-Policy (vite.config.ts `csp`, src/lib/security-headers.ts) in Chromium:
 * the main screens load, render and go live with no violation, and the policy is really enforced.
 */

/** Records every CSP violation the page reports (DOM events and console errors), from its first document on. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
	const console: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) console.push(m.text());
	});
	await page.addInitScript(() => {
		const seen: string[] = [];
		(window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
		document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
	});
	return async () => [...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)), ...console];
}

const screens: Record<string, { path: string; ready: (page: Page) => Promise<unknown> }[]> = {
	'admin@all-county.example': [
		{ path: '/', ready: (p) => p.locator('[data-testid="jobs-status-chart"] svg').first().waitFor().then(() => p.getByText(/^API healthy/).waitFor()) },
		{ path: '/jobs', ready: (p) => p.locator('article').first().waitFor() },
		{ path: '/jobs/new', ready: (p) => p.getByRole('button', { name: /create job/i }).waitFor() },
		{ path: '/bids', ready: (p) => p.locator('article').first().waitFor() },
		{ path: '/builders', ready: (p) => p.getByRole('table').waitFor() },
		{ path: '/settings/users', ready: (p) => p.getByRole('table').waitFor() },
		{ path: '/settings/api-keys', ready: (p) => p.getByRole('heading', { level: 1, name: 'API keys' }).waitFor() },
		{ path: '/settings/tenant', ready: (p) => p.getByRole('group', { name: 'Capabilities' }).waitFor() },
		{ path: '/settings/webhooks', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor() },
		{ path: '/settings/webhooks/catalog', ready: (p) => p.locator('ul.types > li').first().waitFor() },
		{ path: '/settings/jobs', ready: (p) => p.getByRole('group', { name: 'State' }).waitFor() },
		{ path: '/marketing', ready: (p) => p.getByRole('button', { name: 'Connect Facebook' }).waitFor() }
	],
	'dispatcher@h2o.example': [
		{ path: '/service-calls', ready: (p) => p.locator('main li, main article, main tr').first().waitFor() },
		{ path: '/service-calls/new', ready: (p) => p.getByRole('button', { name: /create|save/i }).first().waitFor() }
	]
};

describe('Content-Security-Policy', () => {
	it('sends the policy and the usual headers, with the API (HTTP and WebSocket) allowed in connect-src', async () => {
		for (const path of ['/login', '/']) {
			const res = await fetch(new URL(path, e2e.webUrl), { redirect: 'manual' });
			const csp = res.headers.get('content-security-policy') ?? '';
			if (path === '/login') {
				expect(csp).toMatch(/script-src 'self' '(nonce|sha256)-[^']+'/);
				expect(csp).toContain("object-src 'none'");
				const api = new URL(e2e.apiUrl);
				expect(csp).toMatch(new RegExp(`connect-src 'self'[^;]* ${api.origin} ws://${api.host}(;|$)`));
			}
			expect(csp).toContain("frame-ancestors 'none'");
			expect(res.headers.get('x-frame-options')).toBe('DENY');
			expect(res.headers.get('x-content-type-options')).toBe('nosniff');
			expect(res.headers.get('referrer-policy')).toBe('same-origin');
		}
	});

	it('is enforced: an inline script without the nonce does not run, and is reported', async () => {
		const page = await newPage();
		const violations = await watchViolations(page);
		await page.goto('/login');
		await page.getByRole('button', { name: 'Sign in' }).waitFor();
		await page.evaluate(() => {
			const script = document.createElement('script');
			script.textContent = 'window.__injected = true';
			document.head.append(script);
		});
		await expect.poll(violations).toEqual(expect.arrayContaining([expect.stringMatching(/^script-src(-elem)? blocked inline/)]));
		expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
	});

	for (const [user, pages] of Object.entries(screens))
		it(`the main screens (${user.split('@')[0]}) work under it: signed in, rendered, live, no violation`, async () => {
			const page = await newPage();
			const violations = await watchViolations(page);
			const sockets: string[] = [];
			page.on('websocket', (ws) => sockets.push(ws.url()));
			await signIn(page, user);
			for (const screen of pages) {
				await page.goto(screen.path);
				await screen.ready(page);
				await page.waitForLoadState('networkidle');
				expect(await violations(), screen.path).toEqual([]);
			}
			// client-side navigation and the live connection (graphql-ws to the API's origin) too
			await page.getByRole('link', { name: pages === screens['dispatcher@h2o.example'] ? 'Service calls' : 'Builders' }).first().click();
			await page.getByRole('heading', { level: 1 }).waitFor();
			expect(await violations()).toEqual([]);
			expect(sockets.some((url) => new URL(url).host === new URL(e2e.apiUrl).host)).toBe(true);
			expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		});
});
