import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPage, screenshot } from './support/harness.ts';

/** A partner's endpoint on 127.0.0.1 (the test API allows loopback): records every POST, answers 200. */
interface Received {
	body: string;
	headers: IncomingHttpHeaders;
}
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
	receiver = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			received.push({ body, headers: req.headers });
			res.writeHead(200, { 'content-type': 'text/plain' }).end('ok from the e2e receiver');
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

/** Whether `secret` verifies a received webhook's Standard Webhooks signature. */
function verifies(secret: string, message: Received): boolean {
	const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(message.headers[h])]));
	try {
		new Webhook(secret).verify(message.body, headers);
		return true;
	} catch {
		return false;
	}
}

/** Waits until the receiver has had `count` requests; returns the last. */
async function receivedCount(count: number): Promise<Received> {
	await expect.poll(() => received.length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(count);
	return received[count - 1]!;
}

/** Whether the page fits the viewport's width (no sideways scrolling on a tablet). */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** The delivery log's entries, newest first. */
const logEntries = (page: Page) => page.locator('ol.deliveries > li');
/** The endpoints table's row of `url`. */
const endpointRow = (page: Page, url: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: url, exact: true }) });

describe('settings: webhook endpoints', () => {
	it('refuses a private-range URL next to the field, and changes nothing', async () => {
		const page = await newPage({ user: 'admin@all-county.example', viewport: 'tablet' });
		await page.goto('/settings/webhooks');
		await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor();
		const url = page.getByLabel('URL', { exact: true });
		await url.fill('http://10.0.0.1/hooks');
		await page.getByRole('button', { name: 'Add endpoint' }).click();
		const error = page.locator('#new-endpoint-url-error');
		await error.waitFor();
		expect(await error.innerText()).toMatch(/private|public|not allowed|refused/i);
		expect(await url.getAttribute('aria-invalid')).toBe('true');
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('new-endpoint-url');
		expect(await page.getByRole('link', { name: 'http://10.0.0.1/hooks' }).count()).toBe(0);
		await screenshot(page, 'settings-webhooks-url-error');

		await url.fill('not a url');
		await page.getByRole('button', { name: 'Add endpoint' }).click();
		await expect.poll(() => error.innerText()).not.toMatch(/private/i);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('creates an endpoint (secret shown once), delivers a test event, rotates the secret, disables it', async () => {
		const page = await newPage({ user: 'admin@all-county.example', viewport: 'tablet' });
		await page.goto('/settings/webhooks');
		await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor();

		await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
		await page.getByLabel('Description (optional)').fill('e2e receiver');
		await page.getByRole('checkbox', { name: /^job\.created\b/ }).check();
		await page.getByLabel(/Rate limit/).fill('5');
		await page.getByRole('button', { name: 'Add endpoint' }).click();
		const secretBox = page.getByTestId('new-webhook-secret');
		await secretBox.waitFor();
		const secret = await secretBox.innerText();
		expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
		const link = page.getByRole('link', { name: receiverUrl, exact: true });
		await link.waitFor(); // the list refetched after the create
		expect(await endpointRow(page, receiverUrl).innerText()).toMatch(/job\.created[\s\S]*Enabled/);
		expect(await fitsWidth(page)).toBe(true);
		await screenshot(page, 'settings-webhooks-created');

		await page.reload();
		await link.waitFor();
		expect(await page.getByTestId('new-webhook-secret').count()).toBe(0); // shown only once
		await screenshot(page, 'settings-webhooks-list');

		await link.click();
		await page.getByRole('heading', { level: 1, name: receiverUrl }).waitFor();
		await page.getByRole('heading', { name: /Delivery log/ }).waitFor();
		await page.getByText('Nothing sent to this endpoint yet').waitFor();

		// A test event: delivered by the worker, signed with the secret shown at creation, logged with its attempt.
		await page.getByRole('button', { name: 'Send test event' }).click();
		await page.getByText(/Test event queued/).waitFor();
		const first = await receivedCount(1);
		expect(JSON.parse(first.body)).toMatchObject({ type: 'webhook.test' });
		expect(verifies(secret, first)).toBe(true);
		const entry = logEntries(page).first();
		await expect.poll(() => entry.innerText(), { timeout: 20_000 }).toMatch(/Succeeded/);
		const text = await entry.innerText();
		expect(text).toMatch(/webhook\.test/);
		expect(text).toMatch(/HTTP 200/);
		expect(text).toMatch(/\d+ ms/);
		expect(text).toMatch(/ok from the e2e receiver/);
		expect(await fitsWidth(page)).toBe(true);
		await screenshot(page, 'settings-webhook-detail-delivered');

		// Rotation: a new secret, shown once; the next message verifies with it and, for 24 h, with the old one.
		page.once('dialog', (dialog) => void dialog.accept());
		await page.getByRole('button', { name: 'Rotate secret' }).click();
		const rotatedBox = page.getByTestId('rotated-webhook-secret');
		await rotatedBox.waitFor();
		const rotated = await rotatedBox.innerText();
		expect(rotated).toMatch(/^whsec_/);
		expect(rotated).not.toBe(secret);
		expect(await page.getByText(/previous secret keeps verifying signatures for 24 hours/).count()).toBe(1);
		await screenshot(page, 'settings-webhook-rotated');

		await page.getByRole('button', { name: 'Send test event' }).click();
		const second = await receivedCount(2);
		expect(verifies(rotated, second)).toBe(true);
		expect(verifies(secret, second)).toBe(true);
		await expect.poll(() => logEntries(page).count(), { timeout: 20_000 }).toBe(2);

		// Resend of one message: the receiver gets it again, with the same webhook-id, and the log shows both attempts.
		const oldest = logEntries(page).last();
		await oldest.getByRole('button', { name: 'Resend' }).click();
		await oldest.getByText(/Queued again/).waitFor();
		const third = await receivedCount(3);
		expect(third.headers['webhook-id']).toBe(first.headers['webhook-id']);
		await expect.poll(() => oldest.locator('tbody tr').count(), { timeout: 20_000 }).toBe(2);

		// Replay since a moment: the form needs the moment; test events are not replayed (they target one endpoint),
		// but the job.created events of the last hour are (other test files of the run may have made some).
		await page.getByRole('button', { name: 'Replay' }).click();
		expect(await page.locator('#replay-since-error').innerText()).toBe('choose a date and time');
		const anHourAgo = await page.evaluate(() => {
			const d = new Date(Date.now() - 3_600_000);
			const pad = (n: number) => String(n).padStart(2, '0');
			return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
		});
		await page.getByLabel('Since').fill(anHourAgo);
		await page.getByLabel('Include messages already delivered').check();
		const before = received.length;
		await page.getByRole('button', { name: 'Replay' }).click();
		const outcome = page.getByText(/^(Nothing to send again since then\.|\d+ messages? queued again\.)$/);
		await outcome.waitFor();
		const replayed = Number((await outcome.innerText()).match(/^\d+/)?.[0] ?? 0);
		if (replayed) {
			await receivedCount(before + replayed);
			const sent = received.slice(before).map((m) => JSON.parse(m.body).type);
			expect(sent).toEqual(Array(replayed).fill('job.created'));
			expect(received.slice(before).every((m) => verifies(secret, m) || verifies(rotated, m))).toBe(true);
		}

		// Disable: the state shows, test events are off until enabled again.
		await page.getByRole('button', { name: 'Disable' }).click();
		await page.getByText('Disabled: disabled by an admin').waitFor();
		expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
		await page.getByRole('button', { name: 'Enable' }).waitFor();
		await screenshot(page, 'settings-webhook-disabled');

		await page.getByRole('link', { name: '← Webhook endpoints' }).click();
		await expect.poll(() => endpointRow(page, receiverUrl).innerText()).toMatch(/Disabled/);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});

	it('edits an endpoint, shows the server’s error for a bad rate limit, and deletes it after confirmation', async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/settings/webhooks');
		await page.getByLabel('URL', { exact: true }).fill(`${receiverUrl}?edit`);
		await page.getByRole('button', { name: 'Add endpoint' }).click();
		await page.getByTestId('new-webhook-secret').waitFor();
		await page.getByRole('link', { name: 'Open the endpoint' }).click();
		await page.getByRole('heading', { level: 1, name: `${receiverUrl}?edit` }).waitFor();

		await page.getByRole('button', { name: 'Edit settings' }).click();
		const rate = page.getByLabel(/Rate limit/);
		await rate.fill('0');
		await page.getByRole('button', { name: 'Save changes' }).click();
		const rateError = page.locator('#edit-endpoint-rate-error');
		await rateError.waitFor();
		expect(await rateError.innerText()).toMatch(/at least 1/);
		await rate.fill('20');
		await page.getByLabel('Description (optional)').fill('edited in e2e');
		await page.getByRole('button', { name: 'Save changes' }).click();
		await page.getByText('Saved.').waitFor();
		expect(await page.locator('dl.facts').first().innerText()).toMatch(/edited in e2e[\s\S]*20 messages per second/); // the endpoint's facts (the health panel's come after)
		await screenshot(page, 'settings-webhook-edited');

		let asked = '';
		page.once('dialog', (dialog) => ((asked = dialog.message()), void dialog.accept()));
		await page.getByRole('button', { name: 'Delete' }).click();
		await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor();
		expect(asked).toMatch(/cannot be undone/);
		await page.getByRole('table').waitFor();
		expect(await page.getByRole('link', { name: `${receiverUrl}?edit` }).count()).toBe(0);
		expect(await page.pageErrors({ filter: 'all' })).toEqual([]);
	});
});
