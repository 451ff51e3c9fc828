import { graphql } from '$lib/graphql/gql';

export const JobsBoardQuery = graphql(`
	query JobsBoard($first: Int!, $after: String, $filter: JobFilter) {
		jobs(first: $first, after: $after, filter: $filter, orderBy: { field: SCHEDULED_DATE, direction: ASC }) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
					id
					community
					lot
					plan
					status
					scheduledDate
					assignedCrew
					allowedNextStatuses
					version
					updatedAt
					builder {
						id
						name
					}
				}
			}
		}
	}
`);

/** After a reconnect: what changed while the live connection was down (same fields as the board). */
export const JobsCatchUpQuery = graphql(`
	query JobsCatchUp($since: DateTime!) {
		jobs(first: 100, filter: { updatedAfter: $since, includeArchived: true }) {
			edges {
				node {
					id
					community
					lot
					plan
					status
					scheduledDate
					assignedCrew
					allowedNextStatuses
					version
					updatedAt
					archivedAt
					builder {
						id
						name
					}
				}
			}
		}
	}
`);

export const JobChangedSubscription = graphql(`
	subscription JobChanged {
		jobChanged {
			eventId
			type
			occurredAt
			actor {
				label
			}
			job {
				id
				community
				lot
				plan
				status
				scheduledDate
				assignedCrew
				allowedNextStatuses
				version
				updatedAt
				archivedAt
				builder {
					id
					name
				}
			}
		}
	}
`);

export const ChangeJobStatusMutation = graphql(`
	mutation ChangeJobStatus($input: ChangeJobStatusInput!) {
		changeJobStatus(input: $input) {
			job {
				id
				status
				allowedNextStatuses
				version
				updatedAt
				completedAt
			}
		}
	}
`);

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
