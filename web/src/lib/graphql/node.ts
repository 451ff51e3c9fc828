/**
 * A `node(id:)` answer narrowed to the type a page asked for: `null` when there is none, or when the id
 * names an object of another type (a bid's id on the jobs page).
 */
export function nodeOf<N extends { __typename?: string }, T extends string>(
	node: N | null | undefined,
	typename: T
): Extract<N, { __typename: T }> | null {
	return node?.__typename === typename ? (node as Extract<N, { __typename: T }>) : null;
}
