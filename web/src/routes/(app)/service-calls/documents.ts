import { graphql } from '$lib/graphql/gql';

export const DispatchQuery = graphql(`
	query Dispatch($first: Int!, $after: String, $filter: ServiceCallFilter) {
		serviceCalls(first: $first, after: $after, filter: $filter, orderBy: { field: PRIORITY, direction: ASC }) {
			totalCount
			pageInfo {
				hasNextPage
				endCursor
			}
			edges {
				node {
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
		}
	}
`);

export const ChangeServiceCallStatusMutation = graphql(`
	mutation ChangeServiceCallStatus($input: ChangeServiceCallStatusInput!) {
		changeServiceCallStatus(input: $input) {
			serviceCall {
				id
				status
				allowedNextStatuses
				version
				updatedAt
			}
		}
	}
`);

export const AssignTechnicianMutation = graphql(`
	mutation AssignTechnician($input: UpdateServiceCallInput!) {
		updateServiceCall(input: $input) {
			serviceCall {
				id
				assignedTechnician
				version
				updatedAt
			}
		}
	}
`);

export const CreateServiceCallMutation = graphql(`
	mutation CreateServiceCall($input: CreateServiceCallInput!) {
		createServiceCall(input: $input) {
			serviceCall {
				id
				customerName
				status
			}
		}
	}
`);
