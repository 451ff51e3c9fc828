/**
 * What the web server knows about the signed-in browser, from its cookies alone. Who the user is and which
 * tenants they belong to come from the API (phase 2: a `me`/`tenant` query in the root layout's load).
 */
export interface Session {
	/** The `Cookie` header to forward to the API on this request's behalf. */
	apiCookie: string;
	/** Whether a refresh token is present, so an expired access token can still be renewed. */
	canRefresh: boolean;
}
