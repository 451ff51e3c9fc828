import { goto } from '$app/navigation';
import { TENANT_COOKIE } from './cookies';

/**
 * Acts for `tenantId` from now on: the cookie is read by hooks.server.ts; the page data (and urql client)
 * reload, on the overview (the current screen may not exist in the other tenant).
 */
export async function switchTenant(tenantId: string): Promise<void> {
	document.cookie = `${TENANT_COOKIE}=${encodeURIComponent(tenantId)}; path=/; max-age=31536000; samesite=lax`;
	await goto('/', { invalidateAll: true });
}
