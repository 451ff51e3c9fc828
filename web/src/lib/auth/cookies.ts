/**
 * Names of the cookies the API sets at login (CONTRACT.md, "Authentication on the wire"). The web server
 * reads them in `hooks.server.ts` and forwards them on its own requests to the API; it never exposes their
 * values to the browser's JavaScript (they are httpOnly).
 */
export const ACCESS_COOKIE = 'h2o_access';
export const REFRESH_COOKIE = 'h2o_refresh';

/**
 * Development only, until identity lands: the slug of the tenant to act for, sent as `X-Dev-Tenant`.
 * Not httpOnly on purpose (the tenant switcher writes it); it carries no secret.
 */
export const DEV_TENANT_COOKIE = 'h2o_dev_tenant';
export const DEV_TENANT_HEADER = 'x-dev-tenant';

/** The cookies to forward to the API, as one `Cookie` header value; `undefined` when there are none. */
export function apiCookieHeader(get: (name: string) => string | undefined): string | undefined {
	const pairs = [ACCESS_COOKIE, REFRESH_COOKIE].flatMap((name) => {
		const value = get(name);
		return value ? [`${name}=${value}`] : [];
	});
	return pairs.length ? pairs.join('; ') : undefined;
}
