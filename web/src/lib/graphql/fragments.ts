import { graphql } from './gql';

/**
 * What every paged list reads to fetch its next page (Pager.svelte, the boards' "More"): spread it into a connection
 * as `pageInfo { ...PageInfoFields }`.
 */
export const PageInfoFields = graphql(`
	fragment PageInfoFields on PageInfo {
		hasNextPage
		endCursor
	}
`);
