import { FormSubmission, type SendResult } from './form-submission.svelte';
import { editedFields, type Parsed } from './form-values';

/**
 * An edit form's state under optimistic concurrency: the object as the form started from it (its
 * `version` goes with the save as `expectedVersion`), the values being edited, and the submission. Live
 * changes to the object do not reset what the user is typing; if someone else saved first, the save is a
 * CONFLICT and `restart` loads their version.
 */
export class EditForm<Item extends { version: number }, Values extends object, Fields extends Record<string, unknown>> {
	/** The object as loaded; `null` until `start`. */
	item = $state.raw<Item | null>(null);
	/** What the form shows (blanks until `start`), bound to its inputs. */
	values: Values;
	readonly submission = new FormSubmission();

	/**
	 * `toValues` turns the object into the form's values; it may also take no object (the same function
	 * gives a create form its blanks), which is why its parameter may be absent.
	 */
	constructor(
		private readonly toValues: (item: Item | null | undefined) => Values,
		private readonly read: (values: Values) => Parsed<Fields>
	) {
		this.values = $state(toValues(null));
	}

	/** Starts editing `item`, unless the form already holds an object. */
	start(item: Item | null | undefined): void {
		if (item && !this.item) this.restart(item);
	}

	/** Edits `item` from scratch (after a CONFLICT: the latest version). */
	restart(item: Item): void {
		this.item = item;
		this.values = this.toValues(item);
	}

	/** Sends only the fields the user changed, with the version the form started from. */
	async save<T>(send: (changes: Partial<Fields>, expectedVersion: number) => Promise<SendResult<T>>): Promise<T | null> {
		const { item, values } = this;
		if (!item) return null;
		const original = this.toValues(item);
		return this.submission.submit((v: Values) => editedFields(this.read, original, v), $state.snapshot(values) as Values, (changes) =>
			send(changes, item.version)
		);
	}
}
