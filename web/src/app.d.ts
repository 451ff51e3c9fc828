// See https://svelte.dev/docs/kit/types#app.d.ts
import type { Session } from '$lib/auth/session';

declare global {
	namespace App {
		interface Locals {
			/** Built once per request in `hooks.server.ts`; `null` when the browser sent no API cookie. */
			session: Session | null;
			/** Development only: the tenant slug sent as `X-Dev-Tenant` (identity replaces it). */
			devTenant: string | null;
		}
		// interface Error {}
		// interface PageData {}
		// interface PageState {}
		// interface Platform {}
	}
}

export {};
