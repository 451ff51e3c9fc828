import type { JobStatus } from '$lib/graphql/gql/graphql';

/** The board's columns, in construction order, then the side states. */
export const JOB_COLUMNS: readonly JobStatus[] = [
	'SCHEDULED',
	'UNDERGROUND',
	'ROUGH_IN',
	'TOP_OUT',
	'TRIM',
	'FINAL',
	'COMPLETE',
	'ON_HOLD',
	'CANCELLED'
];

/** Items grouped by `status`, one (possibly empty) list per column, in column order. */
export function groupByStatus<S extends string, T extends { status: S }>(items: readonly T[], columns: readonly S[]): Map<S, T[]> {
	const groups = new Map<S, T[]>(columns.map((c) => [c, []]));
	for (const item of items) groups.get(item.status)?.push(item);
	return groups;
}

/** The allowed moves with the next phase forward first (the card's main button), side states after. */
export function orderMoves(allowed: readonly JobStatus[]): JobStatus[] {
	return [...allowed].sort((a, b) => JOB_COLUMNS.indexOf(a) - JOB_COLUMNS.indexOf(b));
}
