import type { LayoutServerLoad } from './$types';

/** Only what the page may know: never the tokens themselves (they stay in httpOnly cookies). */
export const load: LayoutServerLoad = ({ locals }) => ({
	signedIn: locals.session !== null,
	devTenant: locals.devTenant
});
