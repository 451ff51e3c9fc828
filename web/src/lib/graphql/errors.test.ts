import { CombinedError } from '@urql/core';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { toErrorMessage } from './errors';

const graphQLError = (message: string, extensions: Record<string, unknown>) =>
	new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe('toErrorMessage', () => {
	it('is null without an error', () => {
		expect(toErrorMessage(undefined)).toBeNull();
		expect(toErrorMessage(null)).toBeNull();
	});

	it('puts a validation error next to its field, keyed without the argument name', () => {
		const error = graphQLError('customerPhone: must be a valid phone number', {
			code: 'BAD_USER_INPUT',
			field: ['input', 'customerPhone']
		});
		expect(toErrorMessage(error)).toEqual({
			code: 'BAD_USER_INPUT',
			message: 'customerPhone: must be a valid phone number',
			fieldErrors: { customerPhone: 'must be a valid phone number' }
		});
	});

	it('reports every issue the API lists, nested paths joined with dots', () => {
		const error = graphQLError('customerPhone: must be a valid phone number', {
			code: 'BAD_USER_INPUT',
			field: ['input', 'customerPhone'],
			issues: [
				{ field: ['input', 'customerPhone'], message: 'must be a valid phone number' },
				{ field: ['input', 'lines', 0, 'amount'], message: 'must be positive' }
			]
		});
		expect(toErrorMessage(error)?.fieldErrors).toEqual({
			customerPhone: 'must be a valid phone number',
			'lines.0.amount': 'must be positive'
		});
	});

	it('keeps a top-level argument as its own key', () => {
		const error = graphQLError('email: required', { code: 'BAD_USER_INPUT', field: ['email'] });
		expect(toErrorMessage(error)?.fieldErrors).toEqual({ email: 'required' });
	});

	it("shows the server's message for errors the user can act on", () => {
		const error = graphQLError('job was changed by someone else', { code: 'CONFLICT' });
		expect(toErrorMessage(error)).toEqual({
			code: 'CONFLICT',
			message: 'job was changed by someone else',
			fieldErrors: {}
		});
	});

	it('words masked and session errors for people', () => {
		expect(toErrorMessage(graphQLError('Unexpected error.', { code: 'INTERNAL_SERVER_ERROR' }))?.message).toBe(
			'Something went wrong on the server. Try again in a moment.'
		);
		expect(toErrorMessage(graphQLError('authentication required', { code: 'UNAUTHENTICATED' }))?.message).toBe(
			'Your session has ended. Sign in again.'
		);
	});

	it('treats an error without a code as an internal one', () => {
		expect(toErrorMessage(graphQLError('boom', {}))?.code).toBe('INTERNAL_SERVER_ERROR');
	});

	it('turns a network failure into NETWORK_ERROR', () => {
		const error = new CombinedError({ networkError: new TypeError('fetch failed') });
		expect(toErrorMessage(error)).toEqual({
			code: 'NETWORK_ERROR',
			message: 'The server cannot be reached. Check the connection and try again.',
			fieldErrors: {}
		});
	});
});
