import { prefetch } from '$lib/graphql/client';
import type { PageLoad } from './$types';
import { directoryVariables } from './directory';
import { BuildersQuery } from './documents';

/** The directory's page, rendered on the server and reused by the browser (see `prefetch`). */
export const load: PageLoad = async ({ parent, fetch, url }) => {
	const { client } = await parent();
	await prefetch(client, fetch, BuildersQuery, directoryVariables(url.searchParams));
	return {};
};
