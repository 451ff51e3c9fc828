import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

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

	it('signs out: the API cookies are cleared and the sign-in page follows', async () => {
		const page = await newPage();
		await page.context().addCookies([
			{ name: 'h2o_access', value: 'token-from-the-api', url: e2e.webUrl, httpOnly: true },
			{ name: 'h2o_refresh', value: 'refresh-from-the-api', url: e2e.webUrl, httpOnly: true }
		]);
		await page.goto('/login');
		// with a session, /login sends you on
		expect(new URL(page.url()).pathname).toBe('/');
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
		expect(new URL(page.url()).pathname).toBe('/login');
		const names = (await page.context().cookies()).map((c) => c.name);
		expect(names).not.toContain('h2o_access');
		expect(names).not.toContain('h2o_refresh');
	});
});
