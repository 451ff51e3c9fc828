import { invalidateAll } from '$app/navigation';
import type { TenantOption } from '$lib/components/TenantSwitcher.svelte';
import { DEV_TENANT_COOKIE } from './cookies';

/**
 * Development only, until identity lands: the tenants offered by the switcher, from `PUBLIC_DEV_TENANTS`
 * (comma-separated slugs). Phase 2 replaces this with the signed-in user's memberships.
 */
export function devTenantOptions(list: string | undefined): TenantOption[] {
	return (list ?? '')
		.split(',')
		.map((slug) => slug.trim())
		.filter(Boolean)
		.map((slug) => ({ id: slug, name: slug }));
}

/** Acts for `slug` from now on: the cookie is read by hooks.server.ts; the page data (and urql client) reload. */
export async function switchDevTenant(slug: string): Promise<void> {
	document.cookie = `${DEV_TENANT_COOKIE}=${encodeURIComponent(slug)}; path=/; samesite=lax`;
	await invalidateAll();
}
