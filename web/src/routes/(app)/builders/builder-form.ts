import { optionalText, type Parsed } from '$lib/components/form-values';
import type { BuilderDetailFieldsFragment } from '$lib/graphql/gql/graphql';

/** The builder form's inputs, as text (and whether the builder is active). */
export interface BuilderFormValues {
	name: string;
	contactName: string;
	phone: string;
	email: string;
	addressLine1: string;
	city: string;
	state: string;
	postalCode: string;
	notes: string;
	active: boolean;
}

/** The fields of `CreateBuilderInput` / `UpdateBuilderInput`, `null` for what was left blank. */
export interface BuilderFields extends Record<string, unknown> {
	name: string;
	active: boolean;
	contactName: string | null;
	phone: string | null;
	email: string | null;
	addressLine1: string | null;
	city: string | null;
	state: string | null;
	postalCode: string | null;
	notes: string | null;
}

/** The form's starting values: the builder's (to edit it), or blanks for a new, active builder. */
export function builderFormValues(b?: BuilderDetailFieldsFragment | null): BuilderFormValues {
	return {
		name: b?.name ?? '',
		contactName: b?.contactName ?? '',
		phone: b?.phone ?? '',
		email: b?.email ?? '',
		addressLine1: b?.addressLine1 ?? '',
		city: b?.city ?? '',
		state: b?.state ?? '',
		postalCode: b?.postalCode ?? '',
		notes: b?.notes ?? '',
		active: b?.active ?? true
	};
}

/** The API input from the form; the API judges every field, and its messages show next to them. */
export function readBuilderForm(v: BuilderFormValues): Parsed<BuilderFields> {
	return {
		ok: true,
		input: {
			name: v.name.trim(),
			active: v.active,
			contactName: optionalText(v.contactName),
			phone: optionalText(v.phone),
			email: optionalText(v.email),
			addressLine1: optionalText(v.addressLine1),
			city: optionalText(v.city),
			state: optionalText(v.state),
			postalCode: optionalText(v.postalCode),
			notes: optionalText(v.notes)
		}
	};
}
