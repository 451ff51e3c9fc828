// See https://svelte.dev/docs/kit/types#app.d.ts
import type { Session } from '$lib/auth/session';

declare global {
	namespace App {
		interface Locals {
			/** Built once per request in `hooks.server.ts`; `null` when the browser has no (renewable) session. */
			session: Session | null;
			/** The tenant id chosen with the switcher (cookie `h2o_tenant`), not yet checked against the memberships. */
			tenantChoice: string | null;
		}
		// interface Error {}
		// interface PageData {}
		// interface PageState {}
		// interface Platform {}
	}
}

export {};
