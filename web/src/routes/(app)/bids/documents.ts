import { graphql } from '$lib/graphql/gql';

/** A bid as the pipeline's card shows it (and as live events and mutations return it, so totals stay right). */
export const BidCardFields = graphql(`
	fragment BidCardFields on Bid {
		id
		project
		status
		amountCents
		dueDate
		estimator
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
export const BidDetailFields = graphql(`
	fragment BidDetailFields on Bid {
		...BidCardFields
		plans
		notes
		submittedAt
		decidedAt
		lineItems {
			description
			quantity
			unitPriceCents
			totalCents
		}
	}
`);

export const BidsPipelineQuery = graphql(`
	query BidsPipeline($first: Int!, $after: String, $filter: BidFilter) {
		bids(first: $first, after: $after, filter: $filter, orderBy: { field: DUE_DATE, direction: ASC }) {
			totalCount
			pageInfo {
				...PageInfoFields
			}
			edges {
				node {
					...BidCardFields
				}
			}
		}
	}
`);

/** Each column's true count under the pipeline's filter (one variable per status, see `perColumn`), and each status's
 * total value (the API's figures: right when the pipeline is not searched). */
export const BidsPipelineCountsQuery = graphql(`
	query BidsPipelineCounts($draft: BidFilter!, $submitted: BidFilter!, $won: BidFilter!, $lost: BidFilter!, $expired: BidFilter!) {
		draft: bids(first: 0, filter: $draft) {
			totalCount
		}
		submitted: bids(first: 0, filter: $submitted) {
			totalCount
		}
		won: bids(first: 0, filter: $won) {
			totalCount
		}
		lost: bids(first: 0, filter: $lost) {
			totalCount
		}
		expired: bids(first: 0, filter: $expired) {
			totalCount
		}
		bidFigures {
			byStatus {
				status
				amountCents
			}
		}
	}
`);

export const BidChangedSubscription = graphql(`
	subscription BidChanged {
		bidChanged {
			eventId
			type
			bid {
				...BidCardFields
			}
		}
	}
`);

export const BidDetailQuery = graphql(`
	query BidDetail($id: ID!) {
		node(id: $id) {
			__typename
			... on Bid {
				...BidDetailFields
				auditTrail(first: 20) {
					...AuditTrailFields
				}
			}
		}
	}
`);

/** The edit form's object: its fields without the history (which a role may not read). */
export const BidEditQuery = graphql(`
	query BidEdit($id: ID!) {
		node(id: $id) {
			__typename
			... on Bid {
				...BidDetailFields
			}
		}
	}
`);

export const ChangeBidStatusMutation = graphql(`
	mutation ChangeBidStatus($input: ChangeBidStatusInput!) {
		changeBidStatus(input: $input) {
			bid {
				...BidCardFields
			}
		}
	}
`);

export const CreateBidMutation = graphql(`
	mutation CreateBid($input: CreateBidInput!) {
		createBid(input: $input) {
			bid {
				...BidDetailFields
			}
		}
	}
`);

export const UpdateBidMutation = graphql(`
	mutation UpdateBid($input: UpdateBidInput!) {
		updateBid(input: $input) {
			bid {
				...BidDetailFields
			}
		}
	}
`);

export const ArchiveBidMutation = graphql(`
	mutation ArchiveBid($input: ArchiveBidInput!) {
		archiveBid(input: $input) {
			bid {
				id
				archivedAt
				version
				updatedAt
			}
		}
	}
`);
