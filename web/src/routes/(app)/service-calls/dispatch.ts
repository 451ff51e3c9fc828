import type { ServiceCallFilter, ServiceCallPriority, ServiceCallStatus } from '$lib/graphql/gql/graphql';
import { readFilters } from '$lib/graphql/url-filters';

export const PRIORITIES: readonly ServiceCallPriority[] = ['EMERGENCY', 'URGENT', 'ROUTINE'];
/** The statuses a dispatcher works on (the default view); finished calls are one filter away. */
export const OPEN_STATUSES: readonly ServiceCallStatus[] = ['NEW', 'SCHEDULED', 'DISPATCHED', 'IN_PROGRESS'];
export const ALL_STATUSES: readonly ServiceCallStatus[] = [...OPEN_STATUSES, 'COMPLETED', 'INVOICED', 'CANCELLED'];

/** The dispatch order: by priority (emergencies first), then by the start of the window (unbooked last). */
export function dispatchOrder<T extends { priority: ServiceCallPriority; windowStart?: string | null }>(calls: readonly T[]): T[] {
	const rank = (p: ServiceCallPriority) => PRIORITIES.indexOf(p);
	return [...calls].sort(
		(a, b) => rank(a.priority) - rank(b.priority) || (a.windowStart ?? '\uffff').localeCompare(b.windowStart ?? '\uffff')
	);
}

/** The dispatch list's filters as they appear in the URL. */
export const DISPATCH_FILTERS = { status: 'many', priority: 'many', from: 'one', to: 'one' } as const;
/** Calls per page of the dispatch list ("Show more" adds the next). */
export const DISPATCH_PAGE_SIZE = 50;

/**
 * The API filter for the dispatch list's URL; open calls when no status is chosen. `from` and `to` are days (UTC,
 * as the date inputs give them) or exact instants (the overview's "today" and "this week", in the tenant's time zone). The server's first
 * render and the browser build the list's variables here, so both send the same request.
 */
export function dispatchFilter(params: URLSearchParams): ServiceCallFilter {
	const f = readFilters(params, DISPATCH_FILTERS);
	return {
		status: (f.status.length ? f.status : OPEN_STATUSES) as ServiceCallStatus[],
		priority: f.priority.length ? (f.priority as ServiceCallPriority[]) : undefined,
		window: f.from || f.to ? { from: f.from && (f.from.includes('T') ? f.from : `${f.from}T00:00:00Z`), to: f.to && (f.to.includes('T') ? f.to : `${f.to}T23:59:59Z`) } : undefined
	};
}
