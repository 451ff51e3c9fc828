import { graphql } from '$lib/graphql/gql';

/** An endpoint as its screens show it; every mutation returns it, so the normalized cache updates it on every screen. */
export const WebhookEndpointFields = graphql(`
	fragment WebhookEndpointFields on WebhookEndpoint {
		id
		url
		description
		disabled
		disabledReason
		failingSince
		filterTypes
		rateLimitPerSecond
		version
		createdAt
		updatedAt
	}
`);

export const WebhookEndpointsQuery = graphql(`
	query WebhookEndpoints {
		webhookEventTypes {
			name
			description
		}
		webhookPortalLink {
			url
		}
		webhookEndpoints(first: 100) {
			totalCount
			edges {
				node {
					...WebhookEndpointFields
					deliveries(first: 1) {
						totalCount
					}
				}
			}
		}
	}
`);

export const WebhookEndpointQuery = graphql(`
	query WebhookEndpoint($id: ID!) {
		webhookEventTypes {
			name
			description
		}
		node(id: $id) {
			__typename
			...WebhookEndpointFields
		}
	}
`);

export const WebhookDeliveriesQuery = graphql(`
	query WebhookDeliveries($id: ID!, $after: String) {
		node(id: $id) {
			__typename
			... on WebhookEndpoint {
				id
				deliveries(first: 20, after: $after) {
					totalCount
					pageInfo {
						...PageInfoFields
					}
					edges {
						node {
							id
							status
							attemptCount
							lastStatusCode
							lastAttemptAt
							nextAttemptAt
							lastError
							createdAt
							message {
								id
								eventId
								eventType
								occurredAt
							}
							attempts(first: 5) {
								totalCount
								edges {
									node {
										id
										attempt
										startedAt
										latencyMs
										statusCode
										responseBodyExcerpt
										error
										success
									}
								}
							}
						}
					}
				}
			}
		}
	}
`);

export const CreateWebhookEndpointMutation = graphql(`
	mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
		createWebhookEndpoint(input: $input) {
			secret
			endpoint {
				...WebhookEndpointFields
			}
		}
	}
`);

export const UpdateWebhookEndpointMutation = graphql(`
	mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
		updateWebhookEndpoint(input: $input) {
			endpoint {
				...WebhookEndpointFields
			}
		}
	}
`);

export const DisableWebhookEndpointMutation = graphql(`
	mutation DisableWebhookEndpoint($input: DisableWebhookEndpointInput!) {
		disableWebhookEndpoint(input: $input) {
			endpoint {
				...WebhookEndpointFields
			}
		}
	}
`);

export const EnableWebhookEndpointMutation = graphql(`
	mutation EnableWebhookEndpoint($input: WebhookEndpointInput!) {
		enableWebhookEndpoint(input: $input) {
			endpoint {
				...WebhookEndpointFields
			}
		}
	}
`);

export const DeleteWebhookEndpointMutation = graphql(`
	mutation DeleteWebhookEndpoint($input: WebhookEndpointInput!) {
		deleteWebhookEndpoint(input: $input) {
			deletedEndpointId
		}
	}
`);

export const RotateWebhookEndpointSecretMutation = graphql(`
	mutation RotateWebhookEndpointSecret($input: WebhookEndpointInput!) {
		rotateWebhookEndpointSecret(input: $input) {
			secret
			endpoint {
				...WebhookEndpointFields
			}
		}
	}
`);

export const SendTestWebhookMutation = graphql(`
	mutation SendTestWebhook($input: WebhookEndpointInput!) {
		sendTestWebhook(input: $input) {
			message {
				id
				eventId
				eventType
			}
		}
	}
`);

export const ResendWebhookMessageMutation = graphql(`
	mutation ResendWebhookMessage($input: ResendWebhookMessageInput!) {
		resendWebhookMessage(input: $input) {
			count
			deliveries {
				id
				status
				attemptCount
				nextAttemptAt
			}
		}
	}
`);

export const ReplayWebhooksMutation = graphql(`
	mutation ReplayWebhooks($input: ReplayWebhooksInput!) {
		replayWebhooks(input: $input) {
			count
		}
	}
`);

/** An endpoint's last 24 hours (hourly), its breaker and when it would be auto-disabled: the health panel. */
export const WebhookEndpointHealthQuery = graphql(`
	query WebhookEndpointHealth($id: ID!) {
		node(id: $id) {
			__typename
			... on WebhookEndpoint {
				id
				failingSince
				health {
					since
					breaker
					autoDisableAt
					total {
						start
						attempts
						successes
						successRate
						latencyP50Ms
						latencyP95Ms
					}
					hourly {
						start
						attempts
						successes
						successRate
						latencyP50Ms
						latencyP95Ms
					}
				}
			}
		}
	}
`);

/** The event catalog with each type's JSON Schema and example payload: the catalog page. */
export const WebhookEventCatalogQuery = graphql(`
	query WebhookEventCatalog {
		webhookEventTypes {
			name
			description
			version
			schema
			example
			selection
		}
	}
`);
