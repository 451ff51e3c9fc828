/**
 * Conversions between what a form's inputs hold (strings) and what the API's inputs take. Optional text is
 * `null` when blank: on an update `null` clears the field, and a create leaves it out (`withoutNulls`).
 */

/** A text input's value for an optional field: trimmed, or `null` when blank. */
export const optionalText = (value: string): string | null => value.trim() || null;

/** Integer cents as an amount input's text: 1234500 → `12345`, 1050 → `10.50`; `''` when unknown. */
export function centsToDollars(cents: number | null | undefined): string {
	if (cents == null) return '';
	return cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2);
}

/**
 * An amount typed in dollars (`$12,345.50`) as integer cents; `null` when blank, `undefined` when it is not
 * an amount (the form says so before sending: a `NaN` would reach the API as `null` and clear the amount).
 */
export function dollarsToCents(text: string): number | null | undefined {
	const plain = text.trim().replace(/^\$/, '').replace(/,/g, '');
	if (!plain) return null;
	if (!/^\d+(\.\d{1,2})?$/.test(plain)) return undefined;
	return Math.round(Number(plain) * 100);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A `DateTime` as a `datetime-local` input's value, in the browser's zone; `''` when absent. */
export function toLocalInput(iso: string | null | undefined): string {
	if (!iso) return '';
	const d = new Date(iso);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` input's value (browser's zone) as a `DateTime`; `null` when blank. */
export const fromLocalInput = (local: string): string | null => (local ? new Date(local).toISOString() : null);

/**
 * The entries of `next` whose value differs from `base` (compared as JSON, so arrays and objects compare by
 * content): an update sends only what the user changed, so the audit trail names just those fields and a
 * field someone else changed meanwhile is not overwritten with the old value.
 */
export function changedFields<T extends Record<string, unknown>>(base: T, next: T): Partial<T> {
	const out: Partial<T> = {};
	for (const key of Object.keys(next) as Array<keyof T>) {
		if (JSON.stringify(base[key] ?? null) !== JSON.stringify(next[key] ?? null)) out[key] = next[key];
	}
	return out;
}

type NonNullFields<T> = { [K in keyof T]: Exclude<T[K], null> };

/** `input` without its `null` entries: a create leaves blank optional fields out. */
export function withoutNulls<T extends Record<string, unknown>>(input: T): NonNullFields<T> {
	return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as NonNullFields<T>;
}

/** The result of reading a form: the API input, or the messages per field for what cannot be sent. */
export type Parsed<T> = { ok: true; input: T } | { ok: false; fieldErrors: Record<string, string> };

/**
 * An update's input from an edit form: what `read` makes of the values now, minus what it made of the
 * values the form started with (`changedFields`). Invalid values are reported as `read` reports them.
 */
export function editedFields<V, T extends Record<string, unknown>>(read: (values: V) => Parsed<T>, original: V, values: V): Parsed<Partial<T>> {
	const next = read(values);
	const base = read(original);
	if (!next.ok) return next;
	return { ok: true, input: base.ok ? changedFields(base.input, next.input) : next.input };
}
