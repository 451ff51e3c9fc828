import { centsToDollars, dollarsToCents, optionalText, type Parsed } from '$lib/components/form-values';
import type { BidDetailFieldsFragment, BidLineItemInput } from '$lib/graphql/gql/graphql';

/** One priced line as the form holds it. */
export interface BidLineValues {
	description: string;
	quantity: string;
	unitPrice: string;
}

/** The bid form's inputs, as text. */
export interface BidFormValues {
	builderId: string;
	project: string;
	dueDate: string;
	estimator: string;
	/** House plans, comma-separated. */
	plans: string;
	notes: string;
	/** The amount, used when there are no line items (with lines, the amount is their sum). */
	amount: string;
	lineItems: BidLineValues[];
}

/** The detail fields of `CreateBidInput` / `UpdateBidInput`, `null` for what was left blank. */
export interface BidFields extends Record<string, unknown> {
	builderId: string;
	project: string;
	dueDate: string;
	estimator: string | null;
	plans: string[];
	notes: string | null;
	/** `null` with line items: the API sums them. */
	amountCents: number | null;
	lineItems: BidLineItemInput[];
}

export const blankLine = (): BidLineValues => ({ description: '', quantity: '1', unitPrice: '' });

/** The form's starting values: the bid's (to edit it), or blanks. */
export function bidFormValues(bid?: BidDetailFieldsFragment | null): BidFormValues {
	return {
		builderId: bid?.builder.id ?? '',
		project: bid?.project ?? '',
		dueDate: bid?.dueDate?.slice(0, 10) ?? '',
		estimator: bid?.estimator ?? '',
		plans: bid?.plans.join(', ') ?? '',
		notes: bid?.notes ?? '',
		amount: centsToDollars(bid?.amountCents),
		lineItems: (bid?.lineItems ?? []).map((l) => ({ description: l.description, quantity: String(l.quantity), unitPrice: centsToDollars(l.unitPriceCents) }))
	};
}

const wholeNumber = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined);

/** The bid's amount as the form shows it while typing: the sum of the lines, else the amount; `null` when unknown. */
export function bidTotal(v: BidFormValues): number | null {
	if (!v.lineItems.length) return dollarsToCents(v.amount) ?? null;
	let total = 0;
	for (const line of v.lineItems) {
		const quantity = wholeNumber(line.quantity);
		const price = dollarsToCents(line.unitPrice);
		if (quantity === undefined || price == null) return null;
		total += quantity * price;
	}
	return total;
}

/**
 * The API input from the form. Text goes as typed (trimmed) and the API judges it; quantities and prices
 * that are not numbers at all are refused here, next to their line's field.
 */
export function readBidForm(v: BidFormValues): Parsed<BidFields> {
	const fieldErrors: Record<string, string> = {};
	if (!v.builderId) fieldErrors.builderId = 'Choose the builder.';
	if (!v.dueDate) fieldErrors.dueDate = 'Pick the due date.';
	const amountCents = v.lineItems.length ? null : dollarsToCents(v.amount);
	if (amountCents === undefined) fieldErrors.amountCents = 'Enter an amount in dollars, like 12500 or 12,500.50.';
	const lineItems = v.lineItems.map((line, i) => {
		const quantity = wholeNumber(line.quantity);
		const unitPriceCents = dollarsToCents(line.unitPrice);
		if (quantity === undefined) fieldErrors[`lineItems.${i}.quantity`] = 'Enter a whole number.';
		if (unitPriceCents == null) fieldErrors[`lineItems.${i}.unitPriceCents`] = 'Enter a price in dollars.';
		return { description: line.description.trim(), quantity: quantity ?? 0, unitPriceCents: unitPriceCents ?? 0 };
	});
	if (Object.keys(fieldErrors).length) return { ok: false, fieldErrors };
	return {
		ok: true,
		input: {
			builderId: v.builderId,
			project: v.project.trim(),
			dueDate: v.dueDate,
			estimator: optionalText(v.estimator),
			plans: v.plans
				.split(',')
				.map((p) => p.trim())
				.filter(Boolean),
			notes: optionalText(v.notes),
			amountCents: amountCents ?? null,
			lineItems
		}
	};
}
