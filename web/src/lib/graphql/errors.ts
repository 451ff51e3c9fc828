import type { CombinedError } from '@urql/core';

/** The API's error codes (CONTRACT.md, "Errors"), plus the client's own for an unreachable API. */
export type ErrorCode =
	| 'UNAUTHENTICATED'
	| 'FORBIDDEN'
	| 'BAD_USER_INPUT'
	| 'NOT_FOUND'
	| 'CONFLICT'
	| 'RATE_LIMITED'
	| 'QUERY_TOO_COMPLEX'
	| 'INTERNAL_SERVER_ERROR'
	| 'NETWORK_ERROR'
	| (string & {});

export interface ErrorMessage {
	/** One sentence for the whole operation, to show above the form or in a toast. */
	message: string;
	code: ErrorCode;
	/**
	 * Messages per input field, keyed by the field's path without the leading argument name:
	 * `["input", "customerPhone"]` → `customerPhone`, `["input", "lines", 0, "amount"]` → `lines.0.amount`.
	 */
	fieldErrors: Record<string, string>;
}

const fallbackMessages: Partial<Record<string, string>> = {
	NETWORK_ERROR: 'The server cannot be reached. Check the connection and try again.',
	INTERNAL_SERVER_ERROR: 'Something went wrong on the server. Try again in a moment.',
	RATE_LIMITED: 'Too many requests. Wait a moment and try again.',
	UNAUTHENTICATED: 'Your session has ended. Sign in again.',
	FORBIDDEN: 'You are not allowed to do this.'
};

/** Codes whose server message is written for the user; for the others, the fallback reads better. */
const serverWordedCodes = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'QUERY_TOO_COMPLEX']);

type FieldPath = ReadonlyArray<string | number>;
const isFieldPath = (value: unknown): value is FieldPath =>
	Array.isArray(value) && value.length > 0 && value.every((p) => typeof p === 'string' || typeof p === 'number');
const fieldKey = (path: FieldPath) => (path.length > 1 ? path.slice(1) : path).join('.');
/** The API prefixes a validation message with the field's name ("customerPhone: must be ..."); drop it next to the field. */
const withoutFieldName = (message: string, path: FieldPath) => {
	const name = [...path].reverse().find((p): p is string => typeof p === 'string' && !/^\d+$/.test(p));
	return name && message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
};

/**
 * Turns an urql error into what a screen shows: the one way to present errors in this app.
 * A network error becomes `NETWORK_ERROR`; GraphQL errors keep the API's `extensions.code`, and those
 * naming a field (`extensions.field`, or each of `extensions.issues`) fill `fieldErrors`.
 */
export function toErrorMessage(error: CombinedError | Error | null | undefined): ErrorMessage | null {
	if (!error) return null;
	const combined = 'graphQLErrors' in error ? error : undefined;
	if (!combined || combined.networkError || !combined.graphQLErrors.length) {
		return { code: 'NETWORK_ERROR', message: fallbackMessages.NETWORK_ERROR!, fieldErrors: {} };
	}
	const fieldErrors: Record<string, string> = {};
	for (const e of combined.graphQLErrors) {
		const { field, issues } = e.extensions ?? {};
		if (Array.isArray(issues)) {
			for (const issue of issues as Array<{ field?: unknown; message?: unknown }>) {
				if (isFieldPath(issue.field) && typeof issue.message === 'string') {
					fieldErrors[fieldKey(issue.field)] ??= issue.message;
				}
			}
		}
		if (isFieldPath(field)) fieldErrors[fieldKey(field)] ??= withoutFieldName(e.message, field);
	}
	const first = combined.graphQLErrors[0]!;
	const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
	const message = serverWordedCodes.has(code) ? first.message : (fallbackMessages[code] ?? first.message);
	return { code, message, fieldErrors };
}

/** Why an object's `auditTrail` came back null: the API's message for that field, or a generic one. */
export function auditUnavailable(error: CombinedError | null | undefined): string {
	const refused = error?.graphQLErrors.find((e) => e.path?.includes('auditTrail'));
	return refused ? `not available to you (${refused.message})` : 'not available';
}
