import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot, signIn } from './support/harness.ts';

const ADMIN = 'admin@all-county.example';

/** The members table's row of `email`, and the message row the page shows under it after an action. */
const memberRow = (page: Page, email: string) => page.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
const messageUnder = (page: Page, email: string) => page.locator('tr', { has: page.getByRole('cell', { name: email, exact: true }) }).locator('xpath=following-sibling::tr[1][contains(@class, "row-message")]');

/** Sets a password with the one-time token the invite showed (there is no mail server: the admin passes it on). */
async function setPassword(token: string, password: string): Promise<void> {
	const res = await fetch(e2e.apiUrl, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ query: 'mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', variables: { t: token, p: password } })
	});
	expect(((await res.json()) as { data?: unknown }).data).toEqual({ resetPassword: true });
}

/** Tries the sign-in form; resolves to the alert's text, or `signed in`. */
async function trySignIn(email: string, password: string): Promise<string> {
	const page = await newPage();
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	const outcome = page.getByRole('heading', { level: 1, name: 'Overview' }).or(page.getByRole('alert'));
	await outcome.first().waitFor();
	return (await page.getByRole('heading', { level: 1, name: 'Overview' }).count()) ? 'signed in' : page.getByRole('alert').innerText();
}

describe('settings: users', () => {
	it('disables a user (who then cannot sign in) and enables them again', async () => {
		const email = `disable-${Date.now()}@all-county.example`;
		const password = 'e2e-password-0123';
		const page = await newPage({ user: ADMIN, viewport: 'tablet' });
		await page.goto('/settings/users');
		await page.getByRole('table').waitFor();
		await page.getByLabel('Name', { exact: true }).fill('Disable Me');
		await page.getByLabel('Email', { exact: true }).fill(email);
		await page.getByRole('button', { name: 'Invite' }).click();
		const token = page.getByTestId('reset-token');
		await token.waitFor();
		await setPassword(await token.innerText(), password);
		expect(await trySignIn(email, password)).toBe('signed in');

		await memberRow(page, email).waitFor();
		page.once('dialog', (dialog) => void dialog.accept());
		await page.getByRole('button', { name: `Disable ${email}` }).click();
		await messageUnder(page, email).getByText(`${email} is disabled.`).waitFor();
		expect(await memberRow(page, email).getByText('Disabled', { exact: true }).count()).toBe(1);
		await page.getByRole('button', { name: `Enable ${email}` }).waitFor();
		expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true); // the table scrolls, not the page
		await screenshot(page, 'settings-users-disabled');
		expect(await trySignIn(email, password)).not.toBe('signed in');

		await page.getByRole('button', { name: `Enable ${email}` }).click();
		await messageUnder(page, email).getByText(`${email} can sign in again.`).waitFor();
		expect(await memberRow(page, email).getByText('Active', { exact: true }).count()).toBe(1);
		expect(await trySignIn(email, password)).toBe('signed in');
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it("shows the server's refusal next to the user: yourself, or a user of other tenants too", async () => {
		const page = await newPage({ user: ADMIN });
		await page.goto('/settings/users');
		await page.getByRole('table').waitFor();

		page.once('dialog', (dialog) => void dialog.accept());
		await page.getByRole('button', { name: `Disable ${ADMIN}` }).click();
		const self = messageUnder(page, ADMIN).getByRole('alert');
		await self.waitFor();
		expect(await self.innerText()).toBe('you cannot disable yourself');

		const office = 'office@h2o-acp.example';
		page.once('dialog', (dialog) => void dialog.accept());
		await page.getByRole('button', { name: `Disable ${office}` }).click();
		const shared = messageUnder(page, office).getByRole('alert');
		await shared.waitFor();
		expect(await shared.innerText()).toMatch(/belongs to other tenants/);
		expect(await memberRow(page, office).getByText('Active', { exact: true }).count()).toBe(1);
		await screenshot(page, 'settings-users-refused');

		// Still able to sign in: nothing changed.
		const other = await newPage();
		await signIn(other, office);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
