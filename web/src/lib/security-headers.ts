/**
 * The headers every dashboard response carries: no MIME sniffing, no referrer to other origins, never framed
 * (`X-Frame-Options` and CSP `frame-ancestors`), HSTS in production. Pages already carry SvelteKit's
 * Content-Security-Policy (vite.config.ts, `csp`): the API's origin is added to its `connect-src` here, for HTTP and
 * for the WebSocket (graphql-ws), as PUBLIC_API_URL is known only at run time. Other responses (endpoints, the
 * export proxy) get `frame-ancestors 'none'` alone. Returns the response, copied when its headers are immutable
 * (a proxied `fetch` response).
 */
export function withSecurityHeaders(response: Response, opts: { apiUrl: string; production: boolean }): Response {
	let out = response;
	try {
		out.headers.set('x-content-type-options', 'nosniff');
	} catch {
		out = new Response(response.body, response);
		out.headers.set('x-content-type-options', 'nosniff');
	}
	out.headers.set('referrer-policy', 'same-origin');
	out.headers.set('x-frame-options', 'DENY');
	if (opts.production) out.headers.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
	const csp = out.headers.get('content-security-policy');
	out.headers.set('content-security-policy', csp ? allowConnectTo(csp, opts.apiUrl) : "frame-ancestors 'none'");
	return out;
}

/** `csp` with the origin of `url`, and its WebSocket equivalent, added to `connect-src` (created when missing). */
export function allowConnectTo(csp: string, url: string): string {
	const origin = new URL(url);
	const ws = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
	const sources = `${origin.origin} ${ws}`;
	const directives = csp.split(';').map((d) => d.trim()).filter(Boolean);
	const i = directives.findIndex((d) => d.split(/\s+/)[0] === 'connect-src');
	if (i === -1) directives.push(`connect-src 'self' ${sources}`);
	else directives[i] = `${directives[i]} ${sources}`;
	return directives.join('; ');
}
