import { describe, expect, it } from 'vitest';
import { allowConnectTo, withSecurityHeaders } from './security-headers';

describe('dashboard security headers', () => {
	it("add the API's origin and its WebSocket to connect-src", () => {
		expect(allowConnectTo("default-src 'self'; connect-src 'self'; frame-ancestors 'none'", 'https://api.example.com/graphql')).toBe(
			"default-src 'self'; connect-src 'self' https://api.example.com wss://api.example.com; frame-ancestors 'none'"
		);
		expect(allowConnectTo("default-src 'self'", 'http://127.0.0.1:4000/graphql')).toBe(
			"default-src 'self'; connect-src 'self' http://127.0.0.1:4000 ws://127.0.0.1:4000"
		);
	});

	it('set the usual headers, HSTS only in production, on immutable responses too', async () => {
		const page = new Response('<html></html>', { headers: { 'content-security-policy': "connect-src 'self'" } });
		const dev = withSecurityHeaders(page, { apiUrl: 'http://127.0.0.1:4000/graphql', production: false });
		expect(Object.fromEntries(dev.headers)).toMatchObject({
			'x-content-type-options': 'nosniff',
			'referrer-policy': 'same-origin',
			'x-frame-options': 'DENY',
			'content-security-policy': "connect-src 'self' http://127.0.0.1:4000 ws://127.0.0.1:4000"
		});
		expect(dev.headers.get('strict-transport-security')).toBeNull();
		const proxied = Response.redirect('http://127.0.0.1/elsewhere', 302); // immutable headers, like a fetch() response
		const prod = withSecurityHeaders(proxied, { apiUrl: 'https://api.example.com/graphql', production: true });
		expect(prod.status).toBe(302);
		expect(prod.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
		expect(prod.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
	});
});
