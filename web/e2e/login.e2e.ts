import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, e2e, newPage, screenshot } from './support/harness.ts';

describe('signing in and out', () => {
	it('shows a sign-in form with labelled fields, in keyboard order', async () => {
		const page = await newPage();
		await page.goto('/login');
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		const email = page.getByLabel('Email');
		const password = page.getByLabel('Password');
		expect(await email.getAttribute('type')).toBe('email');
		expect(await email.getAttribute('autocomplete')).toBe('username');
		expect(await password.getAttribute('type')).toBe('password');
		expect(await password.getAttribute('autocomplete')).toBe('current-password');

		const order: string[] = [];
		for (let i = 0; i < 4; i++) {
			await page.keyboard.press('Tab');
			order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ''));
		}
		expect(order).toEqual(['Skip to content', 'email', 'password', 'Sign in']);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
		await screenshot(page, 'login');
	});

	it('shows each error next to its field and focuses the first one', async () => {
		const page = await newPage({ viewport: 'phone' });
		await page.goto('/login');
		await page.getByLabel('Email').fill('not-an-email');
		await page.getByLabel('Email').press('Enter');
		const emailError = page.locator('#email-error');
		await emailError.waitFor();
		expect(await emailError.innerText()).toBe('Enter an email address like name@example.com.');
		expect(await page.locator('#password-error').innerText()).toBe('Enter your password.');
		expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByLabel('Email').getAttribute('aria-describedby')).toBe('email-error');
		expect(await page.getByRole('alert').innerText()).toBe('Check the fields marked below.');
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('email');
		expect(await page.getByLabel('Email').inputValue()).toBe('not-an-email');
		await screenshot(page, 'login-errors-phone');
	});

	it('refuses a wrong password with a message', async () => {
		const page = await newPage();
		await page.goto('/login');
		await page.getByLabel('Email').fill('viewer@h2o.example');
		await page.getByLabel('Password').fill('not-the-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('alert').waitFor();
		expect(await page.getByRole('alert').innerText()).toBe('The email or password is not right.');
		expect(new URL(page.url()).pathname).toBe('/login');
	});

	it('sends a visitor without a session to sign in, then back where they were going', async () => {
		const page = await newPage();
		await page.goto('/bids?q=Heron');
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		expect(new URL(page.url()).searchParams.get('redirectTo')).toBe('/bids?q=Heron');
		await page.getByLabel('Email').fill('estimator@all-county.example');
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('heading', { level: 1, name: 'Bids' }).waitFor();
		expect(new URL(page.url()).search).toBe('?q=Heron');
	});

	it('signs in for real and out again: the session cookies come and go', async () => {
		const page = await newPage({ user: 'viewer@all-county.example' });
		const names = async () => (await page.context().cookies()).map((c) => c.name);
		expect(await names()).toEqual(expect.arrayContaining(['h2o_access', 'h2o_refresh']));
		const access = (await page.context().cookies()).find((c) => c.name === 'h2o_access')!;
		expect(access.httpOnly).toBe(true);
		expect(await page.getByText('viewer@all-county.example').count()).toBe(1);
		// with a session, /login sends you on
		await page.goto('/login');
		expect(new URL(page.url()).pathname).toBe('/');
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		expect(new URL(page.url()).pathname).toBe('/login');
		expect(await names()).not.toContain('h2o_access');
		expect(await names()).not.toContain('h2o_refresh');
		// the API revoked the session too: the old token no longer works
		const res = await fetch(e2e.apiUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie: `h2o_access=${access.value}` },
			body: JSON.stringify({ query: '{ viewer { id } }' })
		});
		expect(((await res.json()) as { data?: { viewer: unknown } }).data?.viewer ?? null).toBeNull();
	});

	it('renews an expired access token with the refresh cookie, without asking to sign in again', async () => {
		const page = await newPage({ user: 'viewer@all-county.example' });
		const cookies = await page.context().cookies();
		await page.context().clearCookies({ name: 'h2o_access' });
		expect(cookies.some((c) => c.name === 'h2o_refresh')).toBe(true);
		await page.goto('/bids');
		await page.getByRole('heading', { level: 1, name: 'Bids' }).waitFor();
		expect((await page.context().cookies()).map((c) => c.name)).toContain('h2o_access');
	});
});
