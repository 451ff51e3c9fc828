import { graphql } from '$lib/graphql/gql';

/** A call as the dispatch row shows it (and as live events and mutations return it). */
export const ServiceCallRowFields = graphql(`
	fragment ServiceCallRowFields on ServiceCall {
		id
		customerName
		customerPhone
		addressLine1
		city
		problem
		priority
		status
		windowStart
		windowEnd
		assignedTechnician
		allowedNextStatuses
		version
		updatedAt
	}
`);

/** Everything the detail page and the edit form show. */
export const ServiceCallDetailFields = graphql(`
	fragment ServiceCallDetailFields on ServiceCall {
		...ServiceCallRowFields
		customerEmail
		state
		postalCode
		resolutionNotes
		createdAt
		archivedAt
	}
`);

export const DispatchQuery = graphql(`
	query Dispatch($first: Int!, $after: String, $filter: ServiceCallFilter) {
		serviceCalls(first: $first, after: $after, filter: $filter, orderBy: { field: PRIORITY, direction: ASC }) {
			totalCount
			pageInfo {
				...PageInfoFields
			}
			edges {
				node {
					...ServiceCallRowFields
				}
			}
		}
	}
`);

export const ServiceCallChangedSubscription = graphql(`
	subscription ServiceCallChanged {
		serviceCallChanged {
			eventId
			type
			serviceCall {
				...ServiceCallRowFields
			}
		}
	}
`);

export const ServiceCallDetailQuery = graphql(`
	query ServiceCallDetail($id: ID!) {
		node(id: $id) {
			__typename
			... on ServiceCall {
				...ServiceCallDetailFields
				auditTrail(first: 20) {
					...AuditTrailFields
				}
			}
		}
	}
`);

/** The edit form's object: its fields without the history (which a role may not read). */
export const ServiceCallEditQuery = graphql(`
	query ServiceCallEdit($id: ID!) {
		node(id: $id) {
			__typename
			... on ServiceCall {
				...ServiceCallDetailFields
			}
		}
	}
`);

export const ChangeServiceCallStatusMutation = graphql(`
	mutation ChangeServiceCallStatus($input: ChangeServiceCallStatusInput!) {
		changeServiceCallStatus(input: $input) {
			serviceCall {
				...ServiceCallRowFields
			}
		}
	}
`);

/** The dispatch row's technician field and the edit form: both are `updateServiceCall`. */
export const UpdateServiceCallMutation = graphql(`
	mutation UpdateServiceCall($input: UpdateServiceCallInput!) {
		updateServiceCall(input: $input) {
			serviceCall {
				...ServiceCallDetailFields
			}
		}
	}
`);

export const CreateServiceCallMutation = graphql(`
	mutation CreateServiceCall($input: CreateServiceCallInput!) {
		createServiceCall(input: $input) {
			serviceCall {
				...ServiceCallDetailFields
			}
		}
	}
`);

export const ArchiveServiceCallMutation = graphql(`
	mutation ArchiveServiceCall($input: ArchiveServiceCallInput!) {
		archiveServiceCall(input: $input) {
			serviceCall {
				id
				archivedAt
				version
				updatedAt
			}
		}
	}
`);
