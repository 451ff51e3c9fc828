import { redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

/** Every page of the app needs a session: without one, sign in first and come back here. */
export const load: LayoutServerLoad = async ({ parent, url }) => {
	const { signedIn } = await parent();
	if (!signedIn) redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
	return {};
};
