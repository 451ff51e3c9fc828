import type { ServiceCallPriority, ServiceCallStatus } from '$lib/graphql/gql/graphql';

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
