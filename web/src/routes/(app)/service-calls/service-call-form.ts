import { fromLocalInput, optionalText, toLocalInput, type Parsed } from '$lib/components/form-values';
import type { ServiceCallDetailFieldsFragment, ServiceCallPriority } from '$lib/graphql/gql/graphql';

/** The service call form's inputs, as text. */
export interface ServiceCallFormValues {
	customerName: string;
	customerPhone: string;
	customerEmail: string;
	addressLine1: string;
	city: string;
	state: string;
	postalCode: string;
	problem: string;
	priority: ServiceCallPriority;
	windowStart: string;
	windowEnd: string;
	assignedTechnician: string;
	resolutionNotes: string;
}

/** The detail fields of `CreateServiceCallInput` / `UpdateServiceCallInput`, `null` for what was left blank. */
export interface ServiceCallFields extends Record<string, unknown> {
	customerName: string;
	customerPhone: string;
	addressLine1: string;
	problem: string;
	priority: ServiceCallPriority;
	customerEmail: string | null;
	city: string | null;
	state: string | null;
	postalCode: string | null;
	windowStart: string | null;
	windowEnd: string | null;
	assignedTechnician: string | null;
	resolutionNotes: string | null;
}

/** The form's starting values: the call's (to edit it), or blanks for a new ROUTINE call. */
export function serviceCallFormValues(call?: ServiceCallDetailFieldsFragment | null): ServiceCallFormValues {
	return {
		customerName: call?.customerName ?? '',
		customerPhone: call?.customerPhone ?? '',
		customerEmail: call?.customerEmail ?? '',
		addressLine1: call?.addressLine1 ?? '',
		city: call?.city ?? '',
		state: call?.state ?? '',
		postalCode: call?.postalCode ?? '',
		problem: call?.problem ?? '',
		priority: call?.priority ?? 'ROUTINE',
		windowStart: toLocalInput(call?.windowStart),
		windowEnd: toLocalInput(call?.windowEnd),
		assignedTechnician: call?.assignedTechnician ?? '',
		resolutionNotes: call?.resolutionNotes ?? ''
	};
}

/** The API input from the form; everything it can send, it sends, and the API's messages show by the fields. */
export function readServiceCallForm(v: ServiceCallFormValues): Parsed<ServiceCallFields> {
	return {
		ok: true,
		input: {
			customerName: v.customerName.trim(),
			customerPhone: v.customerPhone.trim(),
			addressLine1: v.addressLine1.trim(),
			problem: v.problem.trim(),
			priority: v.priority,
			customerEmail: optionalText(v.customerEmail),
			city: optionalText(v.city),
			state: optionalText(v.state),
			postalCode: optionalText(v.postalCode),
			windowStart: fromLocalInput(v.windowStart),
			windowEnd: fromLocalInput(v.windowEnd),
			assignedTechnician: optionalText(v.assignedTechnician),
			resolutionNotes: optionalText(v.resolutionNotes)
		}
	};
}
