/**
 * Names of the cookies the API sets at login (CONTRACT.md, "Authentication on the wire"). The web server
 * reads them in `hooks.server.ts` and forwards them on its own requests to the API; it never exposes their
 * values to the browser's JavaScript (they are httpOnly).
 */
export const ACCESS_COOKIE = 'h2o_access';
export const REFRESH_COOKIE = 'h2o_refresh';

/**
 * The tenant the user acts for (id), chosen with the tenant switcher. Not httpOnly on purpose (the switcher
 * writes it); it carries no secret: the API checks the membership on every request.
 */
export const TENANT_COOKIE = 'h2o_tenant';
/** The header (and graphql-ws connectionParams key) naming the acting tenant. */
export const TENANT_HEADER = 'x-tenant-id';

/** The cookies to forward to the API, as one `Cookie` header value; `undefined` when there are none. */
export function apiCookieHeader(get: (name: string) => string | undefined): string | undefined {
	const pairs = [ACCESS_COOKIE, REFRESH_COOKIE].flatMap((name) => {
		const value = get(name);
		return value ? [`${name}=${value}`] : [];
	});
	return pairs.length ? pairs.join('; ') : undefined;
}

/** The headers that name the acting tenant, for HTTP requests and the socket's connectionParams. */
export function tenantHeaders(tenantId: string | null | undefined): Record<string, string> {
	return tenantId ? { [TENANT_HEADER]: tenantId } : {};
}
