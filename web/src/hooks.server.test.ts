import { describe, expect, it } from 'vitest';
import { env as privateEnv } from '$env/dynamic/private';
import { apiUrl } from '$lib/auth/session.server';
import { handleFetch } from './hooks.server';

/** Runs the hook on one server-side request; returns the request as it left for the network. */
async function sent(url: string, session: { apiCookie: string; canRefresh: boolean } | null) {
	let out: Request | undefined;
	const event = { getClientAddress: () => '203.0.113.9', locals: { session, tenantChoice: null } };
	await handleFetch({
		event: event as never,
		request: new Request(url, { method: 'POST' }),
		fetch: async (request: Request) => {
			out = request;
			return new Response('{}');
		}
	} as never);
	return out!;
}

describe('server-side requests to the API', () => {
	it("carry the browser's session cookie and address", async () => {
		const request = await sent(apiUrl(), { apiCookie: 'h2o_access=token', canRefresh: true });
		expect(request.headers.get('cookie')).toBe('h2o_access=token');
		expect(request.headers.get('x-forwarded-for')).toBe('203.0.113.9');
	});

	it('carry the address without a session (sign-in pages, anonymous calls)', async () => {
		const request = await sent(apiUrl(), null);
		expect(request.headers.get('cookie')).toBeNull();
		expect(request.headers.get('x-forwarded-for')).toBe('203.0.113.9');
	});

	it('leave requests to other origins alone', async () => {
		const request = await sent('https://example.com/other', { apiCookie: 'h2o_access=token', canRefresh: true });
		expect(request.headers.get('cookie')).toBeNull();
		expect(request.headers.get('x-forwarded-for')).toBeNull();
	});

	it('go to API_INTERNAL_URL when the public address does not reach the API from this server, body and all', async () => {
		privateEnv.API_INTERNAL_URL = 'http://lb:4000/graphql';
		try {
			let out: Request | undefined;
			const url = new URL(apiUrl());
			url.search = '?op=1';
			await handleFetch({
				event: { getClientAddress: () => '203.0.113.9', locals: { session: null, tenantChoice: null } } as never,
				request: new Request(url, { method: 'POST', body: '{"query":"{ __typename }"}', headers: { 'content-type': 'application/json' } }),
				fetch: async (request: Request) => {
					out = request;
					return new Response('{}');
				}
			} as never);
			expect(out!.url).toBe('http://lb:4000/graphql?op=1');
			expect(out!.method).toBe('POST');
			expect(out!.headers.get('content-type')).toBe('application/json');
			expect(out!.headers.get('x-forwarded-for')).toBe('203.0.113.9');
			expect(await out!.text()).toBe('{"query":"{ __typename }"}');
		} finally {
			delete privateEnv.API_INTERNAL_URL;
		}
	});
});
