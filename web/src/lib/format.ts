/** `ROUGH_IN` → `Rough in`: enum values as words. */
export function enumLabel(value: string): string {
	const words = value.toLowerCase().replace(/_/g, ' ');
	return words.charAt(0).toUpperCase() + words.slice(1);
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });

/** Integer cents as whole dollars: 1234500 → `$12,345`; `—` when unknown. */
export function money(cents: number | null | undefined): string {
	return cents == null ? '—' : usd.format(cents / 100);
}

/**
 * A `Date` scalar (YYYY-MM-DD) as `Jan 5, 2026`, read as a calendar day (no time zone shift). Takes
 * `unknown`: codegen.ts maps only `DateTime` to `string`, so generated types give `Date` as `unknown`.
 */
export function day(value: unknown): string {
	if (typeof value !== 'string' || !value) return '—';
	const [y, m, d] = value.slice(0, 10).split('-').map(Number);
	return new Date(Date.UTC(y!, m! - 1, d!)).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}

/** A `DateTime` scalar as `Jan 5, 2026, 1:00 PM` in the browser's zone. */
export function dateTime(value: string | null | undefined): string {
	if (!value) return '—';
	return new Date(value).toLocaleString('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' });
}

/** An arrival window: `Jan 5, 1:00 PM – 5:00 PM`; `Not booked` without one. */
export function timeWindow(start: string | null | undefined, end: string | null | undefined): string {
	if (!start) return 'Not booked';
	const from = new Date(start);
	const date = from.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
	const time = (d: Date) => d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
	return end ? `${date}, ${time(from)} – ${time(new Date(end))}` : `${date}, ${time(from)}`;
}
