import { graphql } from '$lib/graphql/gql';

export const LoginMutation = graphql(`
	mutation Login($email: String!, $password: String!) {
		login(email: $email, password: $password) {
			accessToken
			accessTokenExpiresAt
			refreshToken
			refreshTokenExpiresAt
		}
	}
`);

export const RefreshSessionMutation = graphql(`
	mutation RefreshSession($refreshToken: String) {
		refreshSession(refreshToken: $refreshToken) {
			accessToken
			accessTokenExpiresAt
			refreshToken
			refreshTokenExpiresAt
		}
	}
`);

export const LogoutMutation = graphql(`
	mutation Logout {
		logout
	}
`);

export const SessionQuery = graphql(`
	query Session {
		viewer {
			kind
			id
			name
			email
			role
			tenantId
			permissions
			memberships {
				tenantId
				slug
				name
				role
			}
		}
		tenant {
			id
			name
			slug
			config {
				capabilities {
					jobs
					bids
					serviceCalls
					marketing
				}
			}
		}
	}
`);
