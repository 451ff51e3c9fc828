import { describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

describe('marketing', () => {
	it('connects a Facebook Page through the stand-in’s consent, schedules a post and sees it published live', async () => {
		const page = await newPage({ user: 'marketer@all-county.example' });
		await page.getByRole('link', { name: 'Marketing' }).click();
		await page.getByRole('heading', { level: 1, name: 'Marketing' }).waitFor();
		await page.getByText(/\d+ channel accounts, \d+ posts/).waitFor();

		// the consent page (the stand-in consents at once), the API's callback, back here to pick the Page
		await page.getByRole('button', { name: 'Connect Facebook' }).click();
		await page.getByRole('heading', { name: /Pick the Facebook account/ }).waitFor();
		expect(new URL(page.url()).searchParams.get('connect')).toBeTruthy();
		await page.getByRole('button', { name: 'Connect All County Plumbing' }).click();
		const account = page.getByTestId('account').filter({ hasText: 'All County Plumbing' });
		await account.waitFor();
		expect(await account.innerText()).toMatch(/Connected[\s\S]*Breaker Closed/);
		expect(new URL(page.url()).searchParams.get('connect')).toBeNull();

		const text = `E2E spring special ${Date.now()}`;
		await page.getByLabel('Text').fill(text);
		await page.getByLabel(/All County Plumbing \(Facebook\)/).check();
		const preview = page.getByTestId('preview').filter({ hasText: 'Facebook' });
		await preview.waitFor();
		expect(await preview.innerText()).toContain(`${63206 - text.length} characters left`);
		await page.getByRole('button', { name: 'Schedule post' }).click();
		const post = page.getByTestId('post').filter({ hasText: text });
		await post.waitFor();
		// published by the worker, shown without a reload (the marketingChanged subscription)
		await post.getByTestId('post-status').filter({ hasText: 'Published' }).waitFor({ timeout: 30_000 });
		const link = post.getByRole('link', { name: 'View post' });
		expect(await link.getAttribute('href')).toMatch(/^https:\/\/www\.facebook\.com\/1111_\d+$/);
		await screenshot(page, 'marketing-published');

		// a post for later can be cancelled while it waits
		const later = `E2E later ${Date.now()}`;
		await page.getByLabel('Text').fill(later);
		await page.getByLabel('Publish at').fill('2099-06-01T09:30');
		await page.getByRole('button', { name: 'Schedule post' }).click();
		const waiting = page.getByTestId('post').filter({ hasText: later });
		await waiting.getByTestId('post-status').filter({ hasText: 'Scheduled' }).waitFor();
		// the agenda has it on its day, at its time
		const day = page.getByTestId('agenda-day').filter({ hasText: later });
		await day.waitFor();
		expect(await day.getByRole('heading').innerText()).toMatch(/June 1/);
		expect(await day.getByTestId('agenda-post').filter({ hasText: later }).innerText()).toMatch(/9:30[\s\S]*Scheduled[\s\S]*All County Plumbing/);
		await waiting.getByRole('button', { name: 'Cancel post' }).click();
		await waiting.getByTestId('post-status').filter({ hasText: 'Cancelled' }).waitFor();
		await day.waitFor({ state: 'detached' }); // nothing left to go out that day
		expect(await waiting.getByRole('button', { name: 'Cancel post' }).count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('previews a post per platform against its limits (Instagram: hashtags, an image) and will not schedule what the platform would refuse', async () => {
		const page = await newPage({ user: 'marketer@all-county.example' });
		await page.goto('/marketing');
		await page.getByRole('heading', { level: 1, name: 'Marketing' }).waitFor();
		await page.getByRole('button', { name: 'Connect Instagram' }).click();
		await page.getByRole('heading', { name: /Pick the Instagram account/ }).waitFor();
		await page.getByRole('button', { name: 'Connect allcountyplumbing' }).click();
		await page.getByTestId('account').filter({ hasText: 'allcountyplumbing' }).waitFor();

		const tags = Array.from({ length: 31 }, (_, i) => `#plumbing${i}`).join(' ');
		await page.getByLabel('Text').fill(`E2E hashtags ${tags}`);
		await page.getByLabel(/allcountyplumbing \(Instagram\)/).check();
		const preview = page.getByTestId('preview').filter({ hasText: 'Instagram' });
		await preview.getByText('Instagram takes at most 30 hashtags (this has 31)').waitFor();
		await preview.getByText('Instagram posts need an image').waitFor();
		expect(await preview.innerText()).toMatch(/31 \/ 30 hashtags/);
		expect(await page.getByRole('button', { name: 'Schedule post' }).isDisabled()).toBe(true);

		const text = `E2E fits ${Date.now()} ${tags.split(' ').slice(0, 30).join(' ')}`;
		await page.getByLabel('Text').fill(text);
		await page.getByLabel('Image URL').fill('https://cdn.example.com/spring.jpg');
		await preview.getByText(/30 \/ 30 hashtags/).waitFor();
		expect(await preview.getByRole('alert').count()).toBe(0);
		await page.getByLabel('Publish at').fill('2099-06-02T08:00');
		await page.getByRole('button', { name: 'Schedule post' }).click();
		const post = page.getByTestId('post').filter({ hasText: text.slice(0, 30) });
		await post.getByTestId('post-status').filter({ hasText: 'Scheduled' }).waitFor();
		await page.getByTestId('agenda-post').filter({ hasText: text.slice(0, 30) }).waitFor();
		await post.getByRole('button', { name: 'Cancel post' }).click();
		await post.getByTestId('post-status').filter({ hasText: 'Cancelled' }).waitFor();
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('shows a viewer the accounts and posts, without the controls to connect or post, and says why', async () => {
		const page = await newPage({ user: 'viewer@all-county.example' });
		await page.goto('/marketing');
		await page.getByRole('heading', { level: 1, name: 'Marketing' }).waitFor();
		await page.getByText(/You can't connect accounts or schedule posts: your role here is viewer/).waitFor();
		await page.getByTestId('account').first().waitFor();
		expect(await page.getByRole('button', { name: /^Connect / }).count()).toBe(0);
		expect(await page.getByRole('button', { name: 'Schedule post' }).count()).toBe(0);
	});
});
