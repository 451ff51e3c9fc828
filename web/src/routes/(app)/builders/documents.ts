import { graphql } from '$lib/graphql/gql';

/** A builder as the directory's row shows it. */
export const BuilderRowFields = graphql(`
	fragment BuilderRowFields on Builder {
		id
		name
		contactName
		phone
		email
		city
		state
		active
		version
		updatedAt
		archivedAt
	}
`);

/** Everything the detail page and the edit form show of the builder itself. */
export const BuilderDetailFields = graphql(`
	fragment BuilderDetailFields on Builder {
		...BuilderRowFields
		addressLine1
		postalCode
		notes
	}
`);

export const BuildersQuery = graphql(`
	query Builders($first: Int!, $after: String, $filter: BuilderFilter) {
		builders(first: $first, after: $after, filter: $filter) {
			totalCount
			pageInfo {
				...PageInfoFields
			}
			edges {
				node {
					...BuilderRowFields
				}
			}
		}
	}
`);

export const BuilderDetailQuery = graphql(`
	query BuilderDetail($id: ID!) {
		node(id: $id) {
			__typename
			... on Builder {
				...BuilderDetailFields
				jobs(first: 25) {
					totalCount
					edges {
						node {
							id
							community
							lot
							status
							scheduledDate
						}
					}
				}
				bids(first: 25) {
					totalCount
					edges {
						node {
							id
							project
							status
							amountCents
							dueDate
						}
					}
				}
				auditTrail(first: 20) {
					...AuditTrailFields
				}
			}
		}
	}
`);

/** The edit form's object: its fields without the history (which a role may not read). */
export const BuilderEditQuery = graphql(`
	query BuilderEdit($id: ID!) {
		node(id: $id) {
			__typename
			... on Builder {
				...BuilderDetailFields
			}
		}
	}
`);

export const CreateBuilderMutation = graphql(`
	mutation CreateBuilder($input: CreateBuilderInput!) {
		createBuilder(input: $input) {
			builder {
				...BuilderDetailFields
			}
		}
	}
`);

export const UpdateBuilderMutation = graphql(`
	mutation UpdateBuilder($input: UpdateBuilderInput!) {
		updateBuilder(input: $input) {
			builder {
				...BuilderDetailFields
			}
		}
	}
`);

export const ArchiveBuilderMutation = graphql(`
	mutation ArchiveBuilder($input: ArchiveBuilderInput!) {
		archiveBuilder(input: $input) {
			builder {
				id
				archivedAt
				version
				updatedAt
			}
		}
	}
`);

/** Builders to choose from: the board's filter and the job and bid forms. */
export const BuilderOptionsQuery = graphql(`
	query BuilderOptions {
		builders(first: 100, orderBy: { field: NAME, direction: ASC }) {
			edges {
				node {
					id
					name
				}
			}
		}
	}
`);
