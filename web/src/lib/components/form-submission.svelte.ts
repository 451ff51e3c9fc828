import { toErrorMessage, type ErrorMessage } from '$lib/graphql/errors';
import type { CombinedError } from '@urql/core';
import type { Parsed } from './form-values';

/** What a mutation resolves to (an urql `OperationResult`, narrowed to what a form reads). */
export interface SendResult<T> {
	data?: T | null;
	error?: CombinedError | null;
}

/**
 * One form's round trip to the API: whether it is saving, and the error to show, with the server's
 * message for each input field (`field('customerPhone')`). The one way forms in this app submit; the
 * markup side is `Form.svelte`.
 */
export class FormSubmission {
	error = $state<ErrorMessage | null>(null);
	saving = $state(false);

	/** The message for one input field, keyed as in `ErrorMessage.fieldErrors` (`lineItems.0.quantity`). */
	field = (name: string): string | undefined => this.error?.fieldErrors[name];

	/** Whether the last attempt failed because someone else changed the object first. */
	get conflict(): boolean {
		return this.error?.code === 'CONFLICT';
	}

	/**
	 * Sends one mutation; resolves to its data, or `null` when it failed (then `error` says why). While it
	 * runs, `saving` is true and a second submit is ignored (`null`), so a double click sends once.
	 */
	async send<T>(mutation: () => Promise<SendResult<T>>): Promise<T | null> {
		if (this.saving) return null;
		this.saving = true;
		try {
			const result = await mutation();
			this.error = result.data ? null : (toErrorMessage(result.error) ?? unknownFailure);
			return result.data ?? null;
		} catch (e) {
			this.error = toErrorMessage(e as Error);
			return null;
		} finally {
			this.saving = false;
		}
	}

	/**
	 * Reads the form's `values` into an API input with `read`, then sends it; what `read` refuses is shown
	 * next to its fields, and nothing is sent.
	 */
	async submit<V, F, T>(read: (values: V) => Parsed<F>, values: V, send: (input: F) => Promise<SendResult<T>>): Promise<T | null> {
		const parsed = read(values);
		if (!parsed.ok) {
			this.reject(parsed.fieldErrors);
			return null;
		}
		return this.send(() => send(parsed.input));
	}

	/** Refuses the form before sending (input the browser already knows is wrong), in the server's error shape. */
	reject(fieldErrors: Record<string, string>): void {
		this.error = { code: 'BAD_USER_INPUT', message: 'Some fields need a fix before saving.', fieldErrors };
	}

	reset(): void {
		this.error = null;
	}
}

const unknownFailure: ErrorMessage = { code: 'INTERNAL_SERVER_ERROR', message: 'The server gave no answer. Try again.', fieldErrors: {} };
