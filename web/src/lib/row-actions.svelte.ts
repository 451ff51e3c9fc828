import { toErrorMessage, type ErrorMessage } from '$lib/graphql/errors';

/** What a mutation sent through urql resolves to (`client.mutation(...).toPromise()`). */
export interface MutationOutcome<T> {
	error?: Parameters<typeof toErrorMessage>[0];
	data?: T;
}

/**
 * The state of a screen's row actions (a mutation started from a row, a card or a button of a list), the one way
 * every list screen keeps it:
 * - `busy`: the id of the row whose action is in flight (its controls show it, `aria-busy`), null when none;
 * - `message`: the last refusal, in words (shown beside the list, `role="alert"`), cleared when the next action
 *   starts; a version CONFLICT gets `conflictHint` after it and runs `onConflict` (the screen reads its rows again),
 *   when given;
 * - `notice`: what the last action did, for a polite live region.
 */
export class RowActions {
	busy = $state<string | null>(null);
	message = $state<string | null>(null);
	notice = $state('');

	constructor(private readonly options: { onConflict?: () => void; conflictHint?: string } = {}) {}

	/** Runs `mutation` for row `id`; `done` says what it did (from its data). Resolves with the data, or undefined when refused. */
	async run<T>(id: string, mutation: () => Promise<MutationOutcome<T>>, done: string | ((data: T) => string)): Promise<T | undefined> {
		this.busy = id;
		this.message = null;
		const result = await mutation();
		this.busy = null;
		const error: ErrorMessage | null = toErrorMessage(result.error);
		if (error) {
			const conflict = error.code === 'CONFLICT';
			this.message = conflict && this.options.conflictHint ? `${error.message} ${this.options.conflictHint}` : error.message;
			if (conflict) this.options.onConflict?.();
			return undefined;
		}
		this.notice = typeof done === 'function' ? done(result.data as T) : done;
		return result.data as T;
	}
}
