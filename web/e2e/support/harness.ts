// Helpers for e2e tests: one headless Chromium per test file, a fresh browser context per page (its own
// cookies), screenshots for review, and control of the API process under the running dashboard.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, inject } from 'vitest';
import { launchChromium } from '../../../api/test/support/browser.ts';
import type { E2EEnvironment } from './environment.ts';

export const e2e: E2EEnvironment = inject('e2e');

export const viewports = {
	phone: { width: 390, height: 844 },
	tablet: { width: 820, height: 1180 },
	desktop: { width: 1280, height: 800 }
} as const;

/** Every seeded demo user's password (prisma/seed.ts). */
export const DEMO_PASSWORD = 'demo-password-h2o';

export interface NewPageOptions {
	viewport?: keyof typeof viewports;
	/** Signs in as this demo user (through the sign-in form) before handing the page over. */
	user?: string;
	/**
	 * Lets the test inject inline scripts (axe-core) that the dashboard's Content-Security-Policy refuses, as it
	 * should; every other page runs under the policy (csp.e2e.ts checks that nothing the app does violates it).
	 */
	bypassCSP?: boolean;
}

let browser: Promise<Browser> | undefined;
const contexts: BrowserContext[] = [];

afterAll(async () => {
	await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
	await (await browser)?.close();
	browser = undefined;
});

/** A page in a new browser context (separate cookies and storage, like another user's browser), at `baseURL` = the dashboard. */
export async function newPage({ viewport = 'desktop', user, bypassCSP = false }: NewPageOptions = {}): Promise<Page> {
	browser ??= launchChromium();
	const context = await (await browser).newContext({ baseURL: e2e.webUrl, viewport: viewports[viewport], bypassCSP });
	contexts.push(context);
	const page = await context.newPage();
	if (user) await signIn(page, user);
	return page;
}

/** Signs in through the form at /login and waits for the overview. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
	const file = path.join(e2e.screenshotsDir, `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

async function control(action: 'stop' | 'start' | 'restart', query = ''): Promise<number> {
	const res = await fetch(`${e2e.controlUrl}/api/${action}${query}`, { method: 'POST' });
	if (!res.ok) throw new Error(`api ${action}: ${res.status} ${await res.text()}`);
	return ((await res.json()) as { ms: number }).ms;
}

/**
 * The API process under the running dashboard. `stop()` ends it (SIGTERM; `{ kill: true }` for SIGKILL, a
 * crash) and resolves once it has exited; `start()` resolves once `/readyz` answers, on the same port.
 * Each returns how long it took, in ms. A test that stops the API must start it again (use try/finally).
 */
export const api = {
	stop: ({ kill = false } = {}) => control('stop', kill ? '?kill=1' : ''),
	start: (env: Record<string, string> = {}) => control('start', envQuery(env)),
	/** With `env`, the API runs with those variables on top of its own until it is started again without them. */
	restart: (env: Record<string, string> = {}) => control('restart', envQuery(env))
};

const envQuery = (env: Record<string, string>) => {
	const pairs = Object.entries(env).map(([name, value]) => ['env', `${name}=${value}`]);
	return pairs.length ? `?${new URLSearchParams(pairs)}` : '';
};

/**
 * Another session of the API (not the browser's), for a test that acts beside the page: signs in as `email` and
 * returns a GraphQL caller acting for `tenant`; a response with errors throws them.
 */
export async function apiSession(email: string, tenant: string) {
	const call = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
		const res = await fetch(e2e.apiUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-tenant-id': tenant, ...(token ? { authorization: `Bearer ${token}` } : {}) },
			body: JSON.stringify({ query, variables })
		});
		const body = (await res.json()) as { data?: any; errors?: unknown };
		if (body.errors) throw new Error(JSON.stringify(body.errors));
		return body.data;
	};
	const { login } = await call('mutation ($e: String!, $p: String!, $t: String) { login(email: $e, password: $p, tenant: $t) { accessToken } }', { e: email, p: DEMO_PASSWORD, t: tenant });
	return (query: string, variables: Record<string, unknown> = {}) => call(query, variables, login.accessToken);
}

/** What `apiSession` returns: a GraphQL call as that session. */
export type ApiSession = Awaited<ReturnType<typeof apiSession>>;
