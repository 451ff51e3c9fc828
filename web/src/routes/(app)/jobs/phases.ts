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

/** The allowed moves with the next phase forward first (the card's main button), side states after. */
export function orderMoves(allowed: readonly JobStatus[]): JobStatus[] {
	return [...allowed].sort((a, b) => JOB_COLUMNS.indexOf(a) - JOB_COLUMNS.indexOf(b));
}
