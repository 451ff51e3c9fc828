import { graphql } from '$lib/graphql/gql';

/** A channel account as the marketing page shows it (and as live events return it). */
export const ChannelAccountFields = graphql(`
	fragment ChannelAccountFields on ChannelAccount {
		id
		platform
		name
		externalId
		status
		breakerState
		lastError
		lastNotification
		tokenExpiresAt
	}
`);

/** A post with its per-channel outcome. */
export const MarketingPostFields = graphql(`
	fragment MarketingPostFields on MarketingPost {
		id
		text
		status
		scheduledAt
		timeZone
		publishedAt
		version
		targets {
			id
			status
			externalUrl
			lastError
			channelAccount {
				id
				name
				platform
			}
		}
	}
`);

export const MarketingQuery = graphql(`
	query Marketing {
		channelPlatforms {
			platform
			available
			unavailableReason
		}
		marketingTextLimits {
			platform
			maxLength
			maxHashtags
			requiresImage
			maxImages
		}
		channelAccounts(first: 50) {
			edges {
				node {
					...ChannelAccountFields
				}
			}
		}
		marketingPosts(first: 50) {
			edges {
				node {
					...MarketingPostFields
				}
			}
		}
	}
`);

export const ConnectAttemptQuery = graphql(`
	query ChannelConnectAttempt($id: ID!) {
		channelConnectAttempt(id: $id) {
			id
			platform
			error
			candidates {
				externalId
				name
			}
		}
	}
`);

export const StartChannelConnectMutation = graphql(`
	mutation StartChannelConnect($input: StartChannelConnectInput!) {
		startChannelConnect(input: $input) {
			attemptId
			authorizationUrl
		}
	}
`);

export const CompleteChannelConnectMutation = graphql(`
	mutation CompleteChannelConnect($input: CompleteChannelConnectInput!) {
		completeChannelConnect(input: $input) {
			channelAccount {
				...ChannelAccountFields
			}
		}
	}
`);

export const DisconnectChannelAccountMutation = graphql(`
	mutation DisconnectChannelAccount($input: DisconnectChannelAccountInput!) {
		disconnectChannelAccount(input: $input) {
			channelAccount {
				...ChannelAccountFields
			}
		}
	}
`);

export const CreateMarketingPostMutation = graphql(`
	mutation CreateMarketingPost($input: CreateMarketingPostInput!) {
		createMarketingPost(input: $input) {
			marketingPost {
				...MarketingPostFields
			}
		}
	}
`);

export const MarketingChangedSubscription = graphql(`
	subscription MarketingChanged {
		marketingChanged {
			eventId
			type
			channelAccount {
				...ChannelAccountFields
			}
			marketingPost {
				...MarketingPostFields
			}
		}
	}
`);

export const CancelMarketingPostMutation = graphql(`
	mutation CancelMarketingPost($input: CancelMarketingPostInput!) {
		cancelMarketingPost(input: $input) {
			marketingPost {
				...MarketingPostFields
			}
		}
	}
`);

export const RetryMarketingPostChannelMutation = graphql(`
	mutation RetryMarketingPostChannel($input: RetryMarketingPostChannelInput!) {
		retryMarketingPostChannel(input: $input) {
			marketingPost {
				...MarketingPostFields
			}
		}
	}
`);
