import type { SessionQuery } from '$lib/graphql/gql/graphql';

/**
 * What the web server knows about the signed-in browser, from its cookies alone. Who the user is and which
 * tenants they belong to come from the API (`SessionQuery`, in the root layout's server load).
 */
export interface Session {
	/** The `Cookie` header to forward to the API on this request's behalf. */
	apiCookie: string;
	/** Whether a refresh token is present, so an expired access token can still be renewed. */
	canRefresh: boolean;
}

export type Viewer = NonNullable<SessionQuery['viewer']>;
export type Membership = Viewer['memberships'][number];

/**
 * The tenant to act for: the one chosen (cookie) when the user still belongs to it, else the API's choice
 * (the token's or the only membership), else the first membership; `null` for a user of no tenant.
 */
export function actingTenantId(viewer: Pick<Viewer, 'tenantId' | 'memberships'>, chosen: string | undefined): string | null {
	const ids = viewer.memberships.map((m) => m.tenantId);
	if (chosen && ids.includes(chosen)) return chosen;
	if (viewer.tenantId && ids.includes(viewer.tenantId)) return viewer.tenantId;
	return ids[0] ?? null;
}
