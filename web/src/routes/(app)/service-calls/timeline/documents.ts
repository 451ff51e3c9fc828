import { graphql } from '$lib/graphql/gql';

/** The calls whose windows start on the shown day (cancelled ones left out), emergencies first. */
export const TimelineDayQuery = graphql(`
	query TimelineDay($filter: ServiceCallFilter!) {
		serviceCalls(first: 100, filter: $filter, orderBy: { field: PRIORITY, direction: ASC }) {
			totalCount
			edges {
				node {
					...ServiceCallRowFields
				}
			}
		}
	}
`);

/** Open calls waiting for a technician (the side list keeps those with none), emergencies first. */
export const TimelineUnassignedQuery = graphql(`
	query TimelineUnassigned {
		serviceCalls(first: 100, filter: { status: [NEW, SCHEDULED] }, orderBy: { field: PRIORITY, direction: ASC }) {
			edges {
				node {
					...ServiceCallRowFields
				}
			}
		}
	}
`);

/** The technicians of the latest dispatched calls: the timeline's rows besides the day's own. */
export const TimelineTechniciansQuery = graphql(`
	query TimelineTechnicians {
		serviceCalls(first: 100, filter: { status: [DISPATCHED, IN_PROGRESS, COMPLETED, INVOICED] }) {
			edges {
				node {
					id
					assignedTechnician
				}
			}
		}
	}
`);
