import { centsToDollars, dollarsToCents, optionalText, type Parsed } from '$lib/components/form-values';
import type { JobDetailFieldsFragment } from '$lib/graphql/gql/graphql';

/** The job form's inputs, as text. */
export interface JobFormValues {
	builderId: string;
	community: string;
	lot: string;
	plan: string;
	scheduledDate: string;
	assignedCrew: string;
	addressLine1: string;
	city: string;
	state: string;
	postalCode: string;
	amount: string;
	notes: string;
}

/** The detail fields of `CreateJobInput` / `UpdateJobInput`, with `null` for what was left blank. */
export interface JobFields extends Record<string, unknown> {
	builderId: string;
	community: string;
	scheduledDate: string;
	lot: string | null;
	plan: string | null;
	assignedCrew: string | null;
	addressLine1: string | null;
	city: string | null;
	state: string | null;
	postalCode: string | null;
	amountCents: number | null;
	notes: string | null;
}

/** The form's starting values: the job's (to edit it), or blanks, with `builderId` preselected when given. */
export function jobFormValues(job?: JobDetailFieldsFragment | null, builderId = ''): JobFormValues {
	return {
		builderId: job?.builder.id ?? builderId,
		community: job?.community ?? '',
		lot: job?.lot ?? '',
		plan: job?.plan ?? '',
		scheduledDate: job?.scheduledDate?.slice(0, 10) ?? '',
		assignedCrew: job?.assignedCrew ?? '',
		addressLine1: job?.addressLine1 ?? '',
		city: job?.city ?? '',
		state: job?.state ?? '',
		postalCode: job?.postalCode ?? '',
		amount: centsToDollars(job?.amountCents),
		notes: job?.notes ?? ''
	};
}

/**
 * The API input from the form. Text is sent as typed (trimmed) and judged by the API, whose messages
 * show next to the fields; only what cannot be sent at all (no builder, no date, an amount that is not
 * a number) is refused here.
 */
export function readJobForm(v: JobFormValues): Parsed<JobFields> {
	const amountCents = dollarsToCents(v.amount);
	const fieldErrors: Record<string, string> = {};
	if (!v.builderId) fieldErrors.builderId = 'Choose the builder.';
	if (!v.scheduledDate) fieldErrors.scheduledDate = 'Pick the start date.';
	if (amountCents === undefined) fieldErrors.amountCents = 'Enter an amount in dollars, like 12500 or 12,500.50.';
	if (Object.keys(fieldErrors).length) return { ok: false, fieldErrors };
	return {
		ok: true,
		input: {
			builderId: v.builderId,
			community: v.community.trim(),
			scheduledDate: v.scheduledDate,
			lot: optionalText(v.lot),
			plan: optionalText(v.plan),
			assignedCrew: optionalText(v.assignedCrew),
			addressLine1: optionalText(v.addressLine1),
			city: optionalText(v.city),
			state: optionalText(v.state),
			postalCode: optionalText(v.postalCode),
			amountCents: amountCents ?? null,
			notes: optionalText(v.notes)
		}
	};
}
