import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, newPage, screenshot } from './support/harness.ts';

/** A partner's endpoint on 127.0.0.1 that answers its first request 500 and every later one 200. */
let receiver: Server;
let receiverUrl: string;
let requests = 0;

beforeAll(async () => {
	receiver = createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			requests++;
			res.writeHead(requests === 1 ? 500 : 200, { 'content-type': 'text/plain' }).end(requests === 1 ? 'down for a moment' : 'ok');
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/health-hooks`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe('settings: webhook endpoint health and the event catalog', () => {
	it("shows an endpoint's success rate, latency, breaker and auto-disable, with charts, from real deliveries", async () => {
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/settings/webhooks');
		await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
		await page.getByRole('checkbox', { name: /^job\.created\b/ }).check(); // so that only the test event comes
		await page.getByRole('button', { name: 'Add endpoint' }).click();
		await page.getByRole('link', { name: receiverUrl, exact: true }).click();
		await page.getByRole('heading', { level: 1, name: receiverUrl }).waitFor();
		const health = page.getByTestId('endpoint-health');
		await health.getByText('Success rate').waitFor();
		expect(await health.textContent()).toContain('no attempts');

		// a test event: its first attempt fails (500), the retry (about 5 s later) succeeds
		await page.getByRole('button', { name: 'Send test event' }).click();
		await expect.poll(() => requests, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(2);
		await expect
			.poll(
				async () => {
					await page.reload();
					await health.getByText('Success rate').waitFor();
					return health.textContent();
				},
				{ timeout: 20_000, interval: 1_000 }
			)
			.toContain('50.0 % (1 of 2 attempts)');
		const text = (await health.textContent()) ?? '';
		expect(text).toMatch(/Latency\s*p50 \d+ ms, p95 \d+ ms/);
		expect(text).toMatch(/Circuit breaker\s*Closed/);
		expect(text).toContain('Not scheduled: deliveries succeed');

		// the charts are LayerChart's SVG: a bar per hour with attempts (one succeeded, one failed), a latency line
		const attempts = health.getByTestId('attempts-chart');
		await attempts.locator('svg').first().waitFor();
		expect(await attempts.getAttribute('role')).toBe('img');
		expect(await attempts.locator('svg rect, svg path').count()).toBeGreaterThan(0);
		await health.getByTestId('latency-chart').locator('svg').first().waitFor();
		await screenshot(page, 'webhook-endpoint-health');
	});

	it('lists every event type of the catalog with its JSON Schema and an example payload', async () => {
		const published = (await (await fetch(new URL('/webhooks/catalog.json', e2e.apiUrl))).json()) as { channels: Record<string, unknown> };
		const page = await newPage({ user: 'admin@all-county.example' });
		await page.goto('/settings/webhooks');
		await page.getByRole('link', { name: 'The event catalog' }).click();
		await page.getByRole('heading', { level: 1, name: 'Webhook event catalog' }).waitFor();
		const items = page.locator('ul.types > li');
		await items.first().waitFor();
		expect(await items.count()).toBe(Object.keys(published.channels).length);

		const jobCreated = items.filter({ has: page.getByRole('heading', { name: /^job\.created\b/ }) });
		await jobCreated.getByText('Example payload').click();
		const example = JSON.parse((await jobCreated.getByTestId('example').textContent()) ?? '');
		expect(example).toMatchObject({ type: 'job.created', version: expect.any(Number), data: { object: { id: expect.any(String) } } });
		await jobCreated.getByText('JSON Schema').click();
		const schema = JSON.parse((await jobCreated.getByTestId('schema').textContent()) ?? '');
		expect(schema.$schema ?? schema.type).toBeTruthy();
		expect(JSON.stringify(schema)).toContain('job.created');
		await screenshot(page, 'webhook-event-catalog');
	});
});
