import { graphql } from '$lib/graphql/gql';

/** A job as the board's card shows it (and as live events and mutations return it, so the card stays current). */
export const JobCardFields = graphql(`
	fragment JobCardFields on Job {
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
`);

/** Everything the detail page and the edit form show. */
export const JobDetailFields = graphql(`
	fragment JobDetailFields on Job {
		...JobCardFields
		addressLine1
		city
		state
		postalCode
		amountCents
		notes
		completedAt
	}
`);

export const JobsBoardQuery = graphql(`
	query JobsBoard($first: Int!, $after: String, $filter: JobFilter) {
		jobs(first: $first, after: $after, filter: $filter, orderBy: { field: SCHEDULED_DATE, direction: ASC }) {
			totalCount
			pageInfo {
				...PageInfoFields
			}
			edges {
				node {
					...JobCardFields
				}
			}
		}
	}
`);

/** Each column's true count under the board's filters (one variable per status, see `perColumn`): from the counters
 * the API keeps when the filter is the status alone, counted by the database otherwise. */
export const JobsBoardCountsQuery = graphql(`
	query JobsBoardCounts($scheduled: JobFilter!, $underground: JobFilter!, $roughIn: JobFilter!, $topOut: JobFilter!, $trim: JobFilter!, $final: JobFilter!, $complete: JobFilter!, $onHold: JobFilter!, $cancelled: JobFilter!) {
		scheduled: jobs(first: 0, filter: $scheduled) {
			totalCount
		}
		underground: jobs(first: 0, filter: $underground) {
			totalCount
		}
		roughIn: jobs(first: 0, filter: $roughIn) {
			totalCount
		}
		topOut: jobs(first: 0, filter: $topOut) {
			totalCount
		}
		trim: jobs(first: 0, filter: $trim) {
			totalCount
		}
		final: jobs(first: 0, filter: $final) {
			totalCount
		}
		complete: jobs(first: 0, filter: $complete) {
			totalCount
		}
		onHold: jobs(first: 0, filter: $onHold) {
			totalCount
		}
		cancelled: jobs(first: 0, filter: $cancelled) {
			totalCount
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
				...JobCardFields
			}
		}
	}
`);

export const JobDetailQuery = graphql(`
	query JobDetail($id: ID!) {
		node(id: $id) {
			__typename
			... on Job {
				...JobDetailFields
				auditTrail(first: 20) {
					...AuditTrailFields
				}
			}
		}
	}
`);

/** The edit form's object: its fields without the history (which a role may not read). */
export const JobEditQuery = graphql(`
	query JobEdit($id: ID!) {
		node(id: $id) {
			__typename
			... on Job {
				...JobDetailFields
			}
		}
	}
`);

export const ChangeJobStatusMutation = graphql(`
	mutation ChangeJobStatus($input: ChangeJobStatusInput!) {
		changeJobStatus(input: $input) {
			job {
				...JobCardFields
				completedAt
			}
		}
	}
`);

export const CreateJobMutation = graphql(`
	mutation CreateJob($input: CreateJobInput!) {
		createJob(input: $input) {
			job {
				...JobDetailFields
			}
		}
	}
`);

export const UpdateJobMutation = graphql(`
	mutation UpdateJob($input: UpdateJobInput!) {
		updateJob(input: $input) {
			job {
				...JobDetailFields
			}
		}
	}
`);

export const ArchiveJobMutation = graphql(`
	mutation ArchiveJob($input: ArchiveJobInput!) {
		archiveJob(input: $input) {
			job {
				id
				archivedAt
				version
				updatedAt
			}
		}
	}
`);
