import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, e2e, newPage, signIn } from './support/harness.ts';

/** The documents the API runs for sessions when GRAPHQL_TRUSTED_DOCUMENTS=on (production's default). */
const trusted = JSON.parse(readFileSync(new URL('../../trusted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;

/** Every GraphQL request the browser sends to the API, every error code it gets back, every graphql-ws subscribe. */
function record(page: Page) {
	const bodies: any[] = [];
	const codes: string[] = [];
	const subscribes: any[] = [];
	page.on('request', (request) => {
		if (request.url().startsWith(e2e.apiUrl) && request.method() === 'POST') bodies.push(request.postDataJSON());
	});
	page.on('response', async (response) => {
		if (!response.url().startsWith(e2e.apiUrl) || response.request().method() !== 'POST') return;
		const body = (await response.json().catch(() => null)) as { errors?: Array<{ extensions?: { code?: string } }> } | null;
		for (const error of body?.errors ?? []) codes.push(String(error.extensions?.code));
	});
	page.on('websocket', (socket) =>
		socket.on('framesent', ({ payload }) => {
			const message = JSON.parse(String(payload));
			if (message.type === 'subscribe') subscribes.push(message.payload);
		})
	);
	return { bodies, codes, subscribes };
}

describe('trusted documents: the dashboard works against an API that runs only its persisted documents', () => {
	beforeAll(() => api.restart({ GRAPHQL_TRUSTED_DOCUMENTS: 'on' }));
	afterAll(() => api.restart());

	it('signs in and shows its screens sending only hashes of its own documents, over HTTP and WebSocket', async () => {
		const page = await newPage();
		const seen = record(page);
		await signIn(page, 'admin@all-county.example');
		for (const [path, heading] of [
			['/jobs', 'Jobs board'],
			['/bids', 'Bids'],
			['/builders', 'Builders'],
			['/settings/tenant', 'Tenant configuration']
		] as const) {
			await page.goto(path);
			await page.getByRole('heading', { level: 1, name: heading }).waitFor();
		}
		await page.goto('/');
		await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

		// the pages' own requests (the first page of each list is rendered on the server, also by hash)
		await expect.poll(() => seen.subscribes.length).toBeGreaterThan(0);
		expect(seen.bodies.length).toBeGreaterThan(0);
		for (const body of [...seen.bodies, ...seen.subscribes]) {
			const hash = body.extensions?.persistedQuery?.sha256Hash;
			expect(trusted[hash], JSON.stringify(body).slice(0, 200)).toBeDefined();
			expect(body.query || undefined).toBeUndefined();
		}
		expect(seen.codes.filter((code) => code.startsWith('PERSISTED_QUERY'))).toEqual([]);
		expect(await page.getByRole('alert').allInnerTexts()).toEqual([]);

		// while a document of its own choosing, sent with the same session, is refused
		const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
		const res = await fetch(e2e.apiUrl, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ query: '{ viewer { email } }' }) });
		const refused = (await res.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string } }> };
		expect(refused.data ?? null).toBeNull();
		expect(refused.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_REQUIRED');
	});
});
